package io.kvsqueeze.spring.tenant;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/** Tenants, their KV policies with history, and their API keys, in PostgreSQL (schema {@code kvsqueeze}). */
public class TenantRepository {
    private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    private static final String TENANT_COLUMNS = "id, display_name, max_context_tokens, max_new_tokens, kv_bytes_quota,"
            + " max_concurrent_requests, guard_mode, kv_policy, kv_policy_version, created_at, updated_at";

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final TransactionTemplate snapshots;

    public TenantRepository(JdbcClient jdbc, TransactionTemplate transactions) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        // One consistent view of tenants, keys and the version they belong to.
        this.snapshots = new TransactionTemplate(transactions.getTransactionManager());
        this.snapshots.setIsolationLevel(TransactionDefinition.ISOLATION_REPEATABLE_READ);
        this.snapshots.setReadOnly(true);
    }

    public Tenant create(String id, String displayName, TenantLimits limits, KvPolicy policy, String actor) {
        if (id == null || !TENANT_ID.matcher(id).matches()) {
            throw new InvalidTenantException("id", "id must be 1 to 63 characters of a-z, 0-9, '-' and '_', starting"
                    + " with a letter or digit, got " + (id == null ? "null" : "'" + id + "'"));
        }
        requireDisplayName(displayName);
        return transactions.execute(status -> {
            // The append-only history outlives a deleted tenant: a tenant re-created under its id continues
            // the numbering, so its history stays one readable trail and an old ETag can never match.
            long version = 1 + jdbc.sql("select coalesce(max(version), 0) from kvsqueeze.kv_policy_history"
                    + " where tenant_id = ?").param(id).query(Long.class).single();
            try {
                jdbc.sql("insert into kvsqueeze.tenant (id, display_name, max_context_tokens, max_new_tokens,"
                                + " kv_bytes_quota, max_concurrent_requests, guard_mode, kv_policy, kv_policy_version)"
                                + " values (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                        .params(id, displayName, limits.maxContextTokens(), limits.maxNewTokens(),
                                limits.kvBytesQuota(), limits.maxConcurrentRequests(), guardMode(limits),
                                policy.source(), version)
                        .update();
            } catch (DuplicateKeyException e) {
                throw new TenantAlreadyExistsException(id);
            }
            recordPolicyChange(id, version, null, policy, actor);
            return find(id).orElseThrow();
        });
    }

    public Optional<Tenant> find(String id) {
        return jdbc.sql("select " + TENANT_COLUMNS + " from kvsqueeze.tenant where id = ?").param(id)
                .query(TenantRepository::tenant).optional();
    }

    public List<Tenant> findAll() {
        return jdbc.sql("select " + TENANT_COLUMNS + " from kvsqueeze.tenant order by id").query(TenantRepository::tenant).list();
    }

    public Tenant update(String id, String displayName, TenantLimits limits) {
        requireDisplayName(displayName);
        int updated = jdbc.sql("update kvsqueeze.tenant set display_name = ?, max_context_tokens = ?, max_new_tokens = ?,"
                        + " kv_bytes_quota = ?, max_concurrent_requests = ?, guard_mode = ?, updated_at = now()"
                        + " where id = ?")
                .params(displayName, limits.maxContextTokens(), limits.maxNewTokens(), limits.kvBytesQuota(),
                        limits.maxConcurrentRequests(), guardMode(limits), id)
                .update();
        if (updated == 0) {
            throw new TenantNotFoundException(id);
        }
        return find(id).orElseThrow(() -> new TenantNotFoundException(id));
    }

    /** Deletes the tenant and its API keys; its policy history stays. */
    public void delete(String id) {
        if (jdbc.sql("delete from kvsqueeze.tenant where id = ?").param(id).update() == 0) {
            throw new TenantNotFoundException(id);
        }
    }

    /**
     * Replaces the tenant's KV policy if it is still at {@code expectedVersion}, and records the change.
     *
     * @throws StalePolicyVersionException if another write came first; nothing is changed then
     */
    public Tenant updatePolicy(String id, long expectedVersion, KvPolicy policy, String actor) {
        return transactions.execute(status -> {
            Tenant current = jdbc.sql("select " + TENANT_COLUMNS + " from kvsqueeze.tenant where id = ? for update")
                    .param(id).query(TenantRepository::tenant).optional()
                    .orElseThrow(() -> new TenantNotFoundException(id));
            if (current.kvPolicyVersion() != expectedVersion) {
                throw new StalePolicyVersionException(id, expectedVersion, current.kvPolicyVersion());
            }
            long next = expectedVersion + 1;
            jdbc.sql("update kvsqueeze.tenant set kv_policy = ?, kv_policy_version = ?, updated_at = now() where id = ?")
                    .params(policy.source(), next, id).update();
            recordPolicyChange(id, next, current.kvPolicy(), policy, actor);
            return find(id).orElseThrow();
        });
    }

    /** Every policy the tenant had, oldest first. */
    public List<PolicyChange> policyHistory(String id) {
        return jdbc.sql("select version, old_policy, new_policy, changed_by, changed_at from kvsqueeze.kv_policy_history"
                        + " where tenant_id = ? order by version")
                .param(id)
                .query((rs, row) -> new PolicyChange(rs.getLong("version"), rs.getString("old_policy"),
                        rs.getString("new_policy"), rs.getString("changed_by"), instant(rs, "changed_at")))
                .list();
    }

    private void recordPolicyChange(String id, long version, @Nullable KvPolicy old, KvPolicy policy, String actor) {
        jdbc.sql("insert into kvsqueeze.kv_policy_history (tenant_id, version, old_policy, new_policy, changed_by)"
                        + " values (?, ?, ?, ?, ?)")
                .params(id, version, old == null ? null : old.source(), policy.source(), actor)
                .update();
    }

    /** Creates a key for the tenant; the returned key is the only time anyone sees it. */
    public CreatedApiKey createApiKey(String tenantId, @Nullable String name) {
        String key = ApiKeys.newKey();
        String keyId = ApiKeys.newKeyId();
        return transactions.execute(status -> {
            if (find(tenantId).isEmpty()) {
                throw new TenantNotFoundException(tenantId);
            }
            jdbc.sql("insert into kvsqueeze.api_key (id, tenant_id, key_sha256, key_prefix, name) values (?, ?, ?, ?, ?)")
                    .params(keyId, tenantId, ApiKeys.sha256(key), ApiKeys.displayPrefix(key), name)
                    .update();
            ApiKeyInfo info = apiKeys(tenantId).stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow();
            return new CreatedApiKey(info, key);
        });
    }

    public List<ApiKeyInfo> apiKeys(String tenantId) {
        return jdbc.sql("select id, tenant_id, key_prefix, name, created_at from kvsqueeze.api_key where tenant_id = ?"
                        + " order by created_at, id")
                .param(tenantId)
                .query((rs, row) -> new ApiKeyInfo(rs.getString("id"), rs.getString("tenant_id"),
                        rs.getString("key_prefix"), rs.getString("name"), instant(rs, "created_at")))
                .list();
    }

    /** @return false if the tenant has no such key */
    public boolean deleteApiKey(String tenantId, String keyId) {
        return jdbc.sql("delete from kvsqueeze.api_key where tenant_id = ? and id = ?").params(tenantId, keyId).update() > 0;
    }

    /** The number every change to tenants or keys increases. */
    public long configVersion() {
        return jdbc.sql("select version from kvsqueeze.config_version").query(Long.class).single();
    }

    /** Every tenant and key hash, with the version they are consistent with. */
    public Snapshot snapshot() {
        return snapshots.execute(status -> {
            long version = configVersion();
            Map<String, Tenant> tenants = new HashMap<>();
            for (Tenant tenant : findAll()) {
                tenants.put(tenant.id(), tenant);
            }
            Map<String, String> tenantByKeyHash = new HashMap<>();
            jdbc.sql("select key_sha256, tenant_id from kvsqueeze.api_key")
                    .query(rs -> {
                        tenantByKeyHash.put(HexFormat.of().formatHex(rs.getBytes(1)), rs.getString(2));
                    });
            return new Snapshot(version, Map.copyOf(tenants), Map.copyOf(tenantByKeyHash));
        });
    }

    private static void requireDisplayName(String displayName) {
        if (displayName == null || displayName.isBlank() || displayName.length() > 200) {
            throw new InvalidTenantException("display_name", "display_name must be 1 to 200 characters");
        }
    }

    private static Tenant tenant(ResultSet rs, int row) throws SQLException {
        TenantLimits limits = new TenantLimits(rs.getObject("max_context_tokens", Integer.class),
                rs.getObject("max_new_tokens", Integer.class), rs.getObject("kv_bytes_quota", Long.class),
                rs.getObject("max_concurrent_requests", Integer.class),
                GuardMode.parse("guard_mode", rs.getString("guard_mode")));
        return new Tenant(rs.getString("id"), rs.getString("display_name"), limits,
                new KvPolicy(rs.getString("kv_policy")), rs.getLong("kv_policy_version"),
                instant(rs, "created_at"), instant(rs, "updated_at"));
    }

    private static @Nullable String guardMode(TenantLimits limits) {
        return limits.guardMode() == null ? null : limits.guardMode().value();
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    /** One change of a tenant's KV policy. {@code oldPolicy} is null for the policy the tenant was created with. */
    public record PolicyChange(long version, @Nullable String oldPolicy, String newPolicy, String changedBy,
                               Instant changedAt) {
    }

    /** An API key as listed: never the key itself. */
    public record ApiKeyInfo(String id, String tenantId, String prefix, @Nullable String name, Instant createdAt) {
    }

    /** A new key and, this once, its secret. */
    public record CreatedApiKey(ApiKeyInfo info, String key) {
    }

    /**
     * @param tenantByKeyHash tenant id by the hex SHA-256 of each API key
     */
    public record Snapshot(long version, Map<String, Tenant> tenants, Map<String, String> tenantByKeyHash) {
    }
}
