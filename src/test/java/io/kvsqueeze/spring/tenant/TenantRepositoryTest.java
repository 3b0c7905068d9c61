package io.kvsqueeze.spring.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvsqueeze.spring.testapp.KvSqueezeSpringBootTest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import javax.sql.DataSource;

/** The tenant store on the real (embedded) PostgreSQL, migrated by the starter. */
@KvSqueezeSpringBootTest
class TenantRepositoryTest {
    @Autowired
    TenantRepository tenants;

    @Autowired
    DataSource dataSource;

    static String newId() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void createsReadsUpdatesAndDeletesTenants() {
        String id = newId();
        TenantLimits limits = new TenantLimits(256, 16, 1_000_000L, 2);
        Tenant created = tenants.create(id, "Acme", limits, KvPolicy.full(), "admin");

        assertThat(created.limits()).isEqualTo(limits);
        assertThat(created.kvPolicy()).isEqualTo(KvPolicy.full());
        assertThat(created.kvPolicyVersion()).isEqualTo(1);
        assertThat(tenants.findAll()).extracting(Tenant::id).contains(id);

        Tenant updated = tenants.update(id, "Acme Corp", TenantLimits.NONE);
        assertThat(updated.displayName()).isEqualTo("Acme Corp");
        assertThat(updated.limits()).isEqualTo(TenantLimits.NONE);
        assertThat(updated.kvPolicyVersion()).isEqualTo(1);

        tenants.delete(id);
        assertThat(tenants.find(id)).isEmpty();
        assertThatThrownBy(() -> tenants.delete(id)).isInstanceOf(TenantNotFoundException.class);
    }

    /** The history outlives a deleted tenant; one re-created under its id continues its versions. */
    @Test
    void aTenantRecreatedUnderADeletedIdContinuesItsPolicyHistory() {
        String id = newId();
        tenants.create(id, "First", TenantLimits.NONE, KvPolicy.full(), "admin");
        tenants.updatePolicy(id, 1, KvPolicy.full(), "admin");
        tenants.delete(id);

        Tenant again = tenants.create(id, "Second", TenantLimits.NONE, KvPolicy.full(), "admin");
        assertThat(again.kvPolicyVersion()).isEqualTo(3);
        assertThat(tenants.policyHistory(id)).extracting(TenantRepository.PolicyChange::version).containsExactly(1L, 2L, 3L);
        assertThatThrownBy(() -> tenants.updatePolicy(id, 1, KvPolicy.full(), "admin"))
                .as("an ETag of the deleted tenant never matches").isInstanceOf(StalePolicyVersionException.class);
        assertThat(tenants.updatePolicy(id, 3, KvPolicy.full(), "admin").kvPolicyVersion()).isEqualTo(4);
    }

    @Test
    void refusesDuplicateAndMalformedTenants() {
        String id = newId();
        tenants.create(id, "A", TenantLimits.NONE, KvPolicy.full(), "admin");
        assertThatThrownBy(() -> tenants.create(id, "B", TenantLimits.NONE, KvPolicy.full(), "admin"))
                .isInstanceOf(TenantAlreadyExistsException.class);
        assertThatThrownBy(() -> tenants.create("Not Valid", "B", TenantLimits.NONE, KvPolicy.full(), "admin"))
                .isInstanceOfSatisfying(InvalidTenantException.class, e -> assertThat(e.field()).isEqualTo("id"));
        assertThatThrownBy(() -> new TenantLimits(0, null, null, null))
                .isInstanceOfSatisfying(InvalidTenantException.class,
                        e -> assertThat(e.field()).isEqualTo("max_context_tokens"));
    }

    @Test
    void policyWritesAreVersionedAndAStaleWriteChangesNothing() {
        String id = newId();
        tenants.create(id, "A", TenantLimits.NONE, KvPolicy.full(), "alice");

        Tenant second = tenants.updatePolicy(id, 1, KvPolicy.full(), "bob");
        assertThat(second.kvPolicyVersion()).isEqualTo(2);

        assertThatThrownBy(() -> tenants.updatePolicy(id, 1, KvPolicy.full(), "carol"))
                .isInstanceOfSatisfying(StalePolicyVersionException.class,
                        e -> assertThat(e.currentVersion()).isEqualTo(2));
        assertThat(tenants.find(id).orElseThrow().kvPolicyVersion()).isEqualTo(2);

        List<TenantRepository.PolicyChange> history = tenants.policyHistory(id);
        assertThat(history).extracting(TenantRepository.PolicyChange::version).containsExactly(1L, 2L);
        assertThat(history).extracting(TenantRepository.PolicyChange::changedBy).containsExactly("alice", "bob");
        assertThat(history.getFirst().oldPolicy()).isNull();
        assertThat(history.get(1).oldPolicy()).isEqualTo("full");
    }

    @Test
    void policyHistoryIsAppendOnlyAndOutlivesTheTenant() {
        String id = newId();
        tenants.create(id, "A", TenantLimits.NONE, KvPolicy.full(), "alice");
        JdbcClient jdbc = JdbcClient.create(dataSource);
        assertThatThrownBy(() -> jdbc.sql("update kvsqueeze.kv_policy_history set changed_by = 'mallory' where tenant_id = ?")
                .param(id).update()).hasMessageContaining("append-only");
        assertThatThrownBy(() -> jdbc.sql("delete from kvsqueeze.kv_policy_history where tenant_id = ?")
                .param(id).update()).hasMessageContaining("append-only");

        tenants.delete(id);
        assertThat(tenants.policyHistory(id)).hasSize(1);
    }

    @Test
    void apiKeysAreStoredOnlyAsHashesAndGoWithTheirTenant() {
        String id = newId();
        tenants.create(id, "A", TenantLimits.NONE, KvPolicy.full(), "admin");
        TenantRepository.CreatedApiKey created = tenants.createApiKey(id, "ci");

        assertThat(created.key()).startsWith(ApiKeys.PREFIX).hasSizeGreaterThan(40);
        assertThat(created.info().prefix()).isEqualTo(created.key().substring(0, 10));
        JdbcClient jdbc = JdbcClient.create(dataSource);
        String row = jdbc.sql("select row_to_json(k)::text from kvsqueeze.api_key k where id = ?")
                .param(created.info().id()).query(String.class).single();
        assertThat(row).doesNotContain(created.key().substring(ApiKeys.PREFIX.length()));
        byte[] stored = jdbc.sql("select key_sha256 from kvsqueeze.api_key where id = ?")
                .param(created.info().id()).query(byte[].class).single();
        assertThat(HexFormat.of().formatHex(stored)).isEqualTo(HexFormat.of().formatHex(ApiKeys.sha256(created.key())));

        assertThat(tenants.apiKeys(id)).containsExactly(created.info());
        assertThat(tenants.deleteApiKey("other-tenant", created.info().id())).isFalse();
        tenants.createApiKey(id, null);
        tenants.delete(id);
        assertThat(tenants.apiKeys(id)).isEmpty();
        assertThatThrownBy(() -> tenants.createApiKey(id, null)).isInstanceOf(TenantNotFoundException.class);
    }
}
