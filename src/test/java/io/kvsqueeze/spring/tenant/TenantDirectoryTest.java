package io.kvsqueeze.spring.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import io.kvsqueeze.spring.testapp.StoppableDataSource;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/** The in-memory directory: changes made by another replica arrive by polling; a lost database keeps the last copy. */
@KvSqueezeSpringBootTest
class TenantDirectoryTest {
    @Autowired
    TenantDirectory directory;

    @Autowired
    DataSource dataSource;

    @Test
    void seesChangesMadeThroughAnotherReplicasConnectionWithinSeconds() {
        // Another replica: its own repository on its own connections, nothing shared in memory with this one.
        TenantRepository otherReplica = repositoryOn(dataSource);
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        otherReplica.create(id, "Elsewhere", TenantLimits.NONE, KvPolicy.full(), "admin");
        String key = otherReplica.createApiKey(id, null).key();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(directory.tenant(id)).isPresent();
            assertThat(directory.authenticate(key)).hasValue(id);
        });
        assertThat(directory.kvPolicy(id)).isEqualTo(KvPolicy.full());

        otherReplica.delete(id);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(directory.tenant(id)).isEmpty();
            assertThat(directory.authenticate(key)).isEmpty();
        });
    }

    @Test
    void keepsServingTheLastCopyWhileTheDatabaseIsDown() {
        AtomicBoolean down = new AtomicBoolean();
        TenantRepository repository = repositoryOn(StoppableDataSource.over(dataSource, down));
        String id = "t-" + UUID.randomUUID().toString().substring(0, 8);
        repository.create(id, "A", new TenantLimits(null, 7, null, null), KvPolicy.full(), "admin");
        String key = repository.createApiKey(id, null).key();
        TenantDirectory replica = new TenantDirectory(repository, KvPolicy.full(), Duration.ZERO, Clock.systemUTC());
        try {
            down.set(true);
            assertThat(replica.refresh()).isFalse();
            assertThat(replica.lastFailure()).isPresent();
            assertThat(replica.authenticate(key)).hasValue(id);
            assertThat(replica.tenant(id).orElseThrow().limits().maxNewTokens()).isEqualTo(7);
            assertThat(replica.kvPolicy(id)).isEqualTo(KvPolicy.full());

            down.set(false);
            assertThat(replica.refresh()).isTrue();
            assertThat(replica.lastFailure()).isEmpty();
        } finally {
            replica.close();
            repositoryOn(dataSource).delete(id);
        }
    }

    @Test
    void unknownKeysAndNoKeyAuthenticateNoOne() {
        assertThat(directory.authenticate(ApiKeys.newKey())).isEmpty();
        assertThat(directory.authenticate("")).isEmpty();
        assertThat(directory.authenticate(null)).isEmpty();
    }

    private static TenantRepository repositoryOn(DataSource dataSource) {
        return new TenantRepository(JdbcClient.create(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource)));
    }
}
