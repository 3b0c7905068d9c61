package io.kvsqueeze.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.simple.JdbcClient;

/** The embedded PostgreSQL default: its data persists across restarts, and it backs off for a configured URL. */
class KvSqueezeEmbeddedDatabaseAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KvSqueezeEmbeddedDatabaseAutoConfiguration.class))
            .withPropertyValues("logging.level.io.zonky.test.db.postgres=WARN");

    @Test
    void keepsItsDataInTheDataDirectoryAcrossRestarts(@TempDir Path home) {
        Path data = home.resolve("pgdata");
        runner.withPropertyValues("kvsqueeze.embedded-database.data-directory=" + data).run(context -> {
            JdbcClient jdbc = JdbcClient.create(context.getBean(DataSource.class));
            jdbc.sql("create table kept (v text)").update();
            jdbc.sql("insert into kept values ('still here')").update();
        });
        assertThat(data.resolve("PG_VERSION")).exists();
        runner.withPropertyValues("kvsqueeze.embedded-database.data-directory=" + data).run(context -> {
            JdbcClient jdbc = JdbcClient.create(context.getBean(DataSource.class));
            assertThat(jdbc.sql("select v from kept").query(String.class).single()).isEqualTo("still here");
        });
    }

    @Test
    void backsOffWhenTheApplicationConfiguresADatabase() {
        runner.withPropertyValues("spring.datasource.url=jdbc:postgresql://db.example:5432/app")
                .run(context -> assertThat(context).doesNotHaveBean(EmbeddedPostgres.class).doesNotHaveBean(DataSource.class));
        runner.withPropertyValues("kvsqueeze.embedded-database.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(EmbeddedPostgres.class));
    }
}
