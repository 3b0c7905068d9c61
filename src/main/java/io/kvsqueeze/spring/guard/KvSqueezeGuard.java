package io.kvsqueeze.spring.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.kvsqueeze.spring.ai.AdmissionGuard;
import io.kvsqueeze.spring.tenant.GuardMode;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The starter's admission guard: the global memory-pressure breaker, then the tenant's KV-quota breaker. An open
 * breaker acts by its mode: the memory breaker by {@code kvsqueeze.guard.mode}, a tenant's breaker by the
 * tenant's {@code guard_mode} (or {@code kvsqueeze.guard.mode} when it has none). {@code reject} refuses the
 * request ({@link OverloadedException}); {@code degrade} lets it run under {@link DegradedPolicies the degraded
 * policy} (degraded once, even when both breakers are open). Only admission is decided here: generations already
 * running are never stopped.
 */
public final class KvSqueezeGuard implements AdmissionGuard {
    /** {@link Admission#degradedBy()} when the memory breaker degraded the request. */
    public static final String DEGRADED_BY_MEMORY = "memory_pressure";
    /** {@link Admission#degradedBy()} when the tenant's KV-quota breaker degraded the request. */
    public static final String DEGRADED_BY_KV_QUOTA = "kv_quota";

    private final @Nullable MemoryPressureGuard memory;
    private final @Nullable TenantQuotaBreakers tenantBreakers;
    private final GuardMode mode;
    private final Function<String, @Nullable GuardMode> tenantModes;
    private final TenantMetrics metrics;
    private final DegradedPolicies degradedPolicies = new DegradedPolicies();

    /**
     * @param memory         the global memory breaker; null: memory is not watched
     * @param tenantBreakers the per-tenant KV-quota breakers; null: none
     * @param mode           the memory breaker's mode, and tenants' unless they have their own
     * @param tenantModes    a tenant's own mode, null when it has none
     */
    public KvSqueezeGuard(@Nullable MemoryPressureGuard memory, @Nullable TenantQuotaBreakers tenantBreakers,
                          GuardMode mode, Function<String, @Nullable GuardMode> tenantModes, TenantMetrics metrics) {
        this.memory = memory;
        this.tenantBreakers = tenantBreakers;
        this.mode = Objects.requireNonNull(mode, "mode");
        this.tenantModes = Objects.requireNonNull(tenantModes, "tenantModes");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public Admission admit(@Nullable String tenant, KvPolicy policy) {
        KvPolicy running = policy;
        String degradedBy = null;
        if (memory != null && !memory.admits()) {
            if (mode == GuardMode.REJECT) {
                OverloadedException refusal = memory.overloaded();
                metrics.rejected(tenant, refusal.code());
                throw refusal;
            }
            running = degradedPolicies.degrade(policy);
            degradedBy = DEGRADED_BY_MEMORY;
        }
        if (tenant == null || tenantBreakers == null) {
            return new Admission(running, degradedBy, null);
        }
        CircuitBreaker breaker = tenantBreakers.breaker(tenant);
        if (breaker.tryAcquirePermission()) {
            return new Admission(running, degradedBy, TenantQuotaBreakers.outcome(breaker));
        }
        if (modeOf(tenant) == GuardMode.REJECT) {
            metrics.rejected(tenant, OverloadedException.KV_QUOTA_BREAKER_OPEN);
            long retryAfter = tenantBreakers.retryAfterSeconds();
            throw new OverloadedException("tenant '" + tenant + "' keeps asking for more KV bytes than its"
                    + " kv_bytes_quota, so its requests are refused for now; retry in " + retryAfter + " s with"
                    + " shorter messages or a lower max_tokens", retryAfter, OverloadedException.KV_QUOTA_BREAKER_OPEN);
        }
        return degradedBy != null ? new Admission(running, degradedBy, null)
                : new Admission(degradedPolicies.degrade(policy), DEGRADED_BY_KV_QUOTA, null);
    }

    /** The mode of the tenant's breaker. */
    public GuardMode modeOf(String tenant) {
        GuardMode own = tenantModes.apply(tenant);
        return own != null ? own : mode;
    }

    public GuardMode mode() {
        return mode;
    }

    public @Nullable MemoryPressureGuard memory() {
        return memory;
    }

    public @Nullable TenantQuotaBreakers tenantBreakers() {
        return tenantBreakers;
    }
}
