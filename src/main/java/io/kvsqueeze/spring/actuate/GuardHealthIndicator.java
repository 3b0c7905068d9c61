package io.kvsqueeze.spring.actuate;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.kvsqueeze.spring.guard.KvSqueezeGuard;
import io.kvsqueeze.spring.guard.MemoryPressureGuard;
import io.kvsqueeze.spring.guard.TenantQuotaBreakers;
import io.kvsqueeze.spring.tenant.GuardMode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code kvsqueeze-guard}: the guards' breakers. OUT_OF_SERVICE while the memory breaker is open in
 * {@code reject} mode (this replica refuses every new generation, so a load balancer should send them elsewhere);
 * UP otherwise, with the state of the memory breaker and of every tenant's KV-quota breaker, and each tenant's
 * mode, in the details. An open tenant breaker concerns that tenant only and never takes the replica out.
 */
public class GuardHealthIndicator implements HealthIndicator {
    private final KvSqueezeGuard guard;

    public GuardHealthIndicator(KvSqueezeGuard guard) {
        this.guard = guard;
    }

    @Override
    public Health health() {
        MemoryPressureGuard memory = guard.memory();
        boolean memoryOpen = memory != null && !memory.admits();
        Health.Builder health = memoryOpen && guard.mode() == GuardMode.REJECT ? Health.outOfService() : Health.up();
        health.withDetail("mode", guard.mode().value());
        if (memory != null) {
            health.withDetail("memory", Map.of("breaker", MemoryPressureGuard.BREAKER_NAME,
                    "state", memory.breaker().getState().name()));
        }
        TenantQuotaBreakers breakers = guard.tenantBreakers();
        if (breakers != null) {
            Map<String, Object> tenants = new TreeMap<>();
            for (CircuitBreaker breaker : breakers.breakers()) {
                String tenant = TenantQuotaBreakers.tenantOf(breaker);
                Map<String, Object> detail = new LinkedHashMap<>();
                detail.put("state", breaker.getState().name());
                detail.put("mode", guard.modeOf(tenant).value());
                detail.put("failureRate", breaker.getMetrics().getFailureRate());
                tenants.put(tenant, detail);
            }
            health.withDetail("tenants", tenants);
        }
        return health.build();
    }
}
