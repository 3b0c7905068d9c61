package io.kvsqueeze.spring.autoconfigure;

import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * A real PostgreSQL, started in-process from Maven-packaged binaries (zonky), for applications that configure
 * no database of their own: tenants and API keys then work with nothing to install. Its data persists under
 * {@code kvsqueeze.embedded-database.data-directory}. As soon as {@code spring.datasource.url} is set, this
 * backs off and Boot's own DataSource takes over.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass({EmbeddedPostgres.class, HikariDataSource.class})
@ConditionalOnProperty(prefix = "kvsqueeze.embedded-database", name = "enabled", matchIfMissing = true)
@Conditional(KvSqueezeEmbeddedDatabaseAutoConfiguration.NoDataSourceUrl.class)
@EnableConfigurationProperties(KvSqueezeProperties.class)
public class KvSqueezeEmbeddedDatabaseAutoConfiguration {
    private static final Log log = LogFactory.getLog(KvSqueezeEmbeddedDatabaseAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean({EmbeddedPostgres.class, DataSource.class})
    public EmbeddedPostgres kvSqueezeEmbeddedPostgres(KvSqueezeProperties properties) throws IOException {
        KvSqueezeProperties.EmbeddedDatabase settings = properties.embeddedDatabase();
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPort(settings.port())
                // The JVM's shutdown hook would race the context's orderly close; the bean's destroy stops it.
                .setRegisterShutdownHook(false);
        Path dataDirectory;
        if (settings.ephemeral()) {
            dataDirectory = Files.createTempDirectory("kvsqueeze-pgdata-");
            builder.setDataDirectory(dataDirectory).setCleanDataDirectory(true);
        } else {
            dataDirectory = settings.resolvedDataDirectory();
            Files.createDirectories(dataDirectory);
            builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
        }
        EmbeddedPostgres postgres = builder.start();
        log.info("KVSqueeze embedded PostgreSQL on port " + postgres.getPort() + ", data in " + dataDirectory
                + (settings.ephemeral() ? " (ephemeral)" : ""));
        return postgres;
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(DataSource.class)
    public HikariDataSource dataSource(EmbeddedPostgres postgres) {
        HikariDataSource dataSource = new HikariDataSource();
        dataSource.setPoolName("kvsqueeze-embedded");
        dataSource.setJdbcUrl(postgres.getJdbcUrl("postgres", "postgres"));
        dataSource.setMaximumPoolSize(5);
        return dataSource;
    }

    /** Matches when the application sets no {@code spring.datasource.url}. */
    static final class NoDataSourceUrl extends SpringBootCondition {
        @Override
        public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
            String url = context.getEnvironment().getProperty("spring.datasource.url");
            return url == null || url.isBlank()
                    ? ConditionOutcome.match("no spring.datasource.url")
                    : ConditionOutcome.noMatch("spring.datasource.url is set");
        }
    }

}
