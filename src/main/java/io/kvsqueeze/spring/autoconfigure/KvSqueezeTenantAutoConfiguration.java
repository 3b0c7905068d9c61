package io.kvsqueeze.spring.autoconfigure;

import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantDirectory;
import io.kvsqueeze.spring.tenant.TenantRepository;
import io.kvsqueeze.spring.tenant.TenantSchemaMigration;
import java.time.Clock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Tenants in PostgreSQL: the schema migrated at start, the repository, and the in-memory directory that the
 * chat model and the APIs read (it also becomes the {@link io.kvsqueeze.spring.tenant.TenantPolicies}).
 */
@AutoConfiguration(after = {KvSqueezeEmbeddedDatabaseAutoConfiguration.class, DataSourceAutoConfiguration.class,
        DataSourceTransactionManagerAutoConfiguration.class})
@ConditionalOnClass({Flyway.class, JdbcClient.class})
@ConditionalOnBean({DataSource.class, PlatformTransactionManager.class})
@ConditionalOnProperty(prefix = "kvsqueeze.tenants", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(KvSqueezeProperties.class)
public class KvSqueezeTenantAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public TenantSchemaMigration kvSqueezeTenantSchemaMigration(DataSource dataSource) {
        return new TenantSchemaMigration(dataSource);
    }

    @Bean
    @ConditionalOnMissingBean
    public TenantRepository kvSqueezeTenantRepository(DataSource dataSource, PlatformTransactionManager transactions,
                                                      TenantSchemaMigration schema) {
        return new TenantRepository(JdbcClient.create(dataSource), new TransactionTemplate(transactions));
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public TenantDirectory kvSqueezeTenantDirectory(TenantRepository repository, KvSqueezeProperties properties) {
        return new TenantDirectory(repository, KvPolicy.parse("kvsqueeze.kv-policy", properties.kvPolicy()),
                properties.tenants().refreshInterval(), Clock.systemUTC());
    }
}
