package io.kvsqueeze.spring.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.engine.compress.Budget;
import io.kvsqueeze.spring.ai.AdmissionGuard.Admission;
import io.kvsqueeze.spring.ai.AdmissionGuard.OverloadedException;
import io.kvsqueeze.spring.tenant.GuardMode;
import io.kvsqueeze.spring.tenant.KvPolicy;
import io.kvsqueeze.spring.tenant.TenantMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The guards' decisions on breakers with tiny windows and waits: open, reject, degrade, half-open probes. */
class KvSqueezeGuardTest {
    private static final KvPolicy SNAPKV = KvPolicy.parse("policy", "snapkv");
    private static final Duration WAIT = Duration.ofMillis(200);

    private final CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
    private final TenantQuotaBreakers breakers = new TenantQuotaBreakers(registry,
            new TenantQuotaBreakers.Settings(4, 2, 50, WAIT, 1));
    private final CircuitBreaker memoryBreaker = registry.circuitBreaker(MemoryPressureGuard.BREAKER_NAME);
    private final MemoryPressureGuard memory = new MemoryPressureGuard(memoryBreaker,
            MemoryPressureGuard.MemoryProbe.of(() -> 0.1, () -> 0), new MemoryPressureGuard.Watermarks(0.9, 0.8, null, 0),
            Duration.ZERO);
    private final Map<String, GuardMode> tenantModes = new HashMap<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private KvSqueezeGuard guard(GuardMode mode) {
        return new KvSqueezeGuard(memory, breakers, mode, tenantModes::get, new TenantMetrics(meters));
    }

    private static void exceedQuotaTwice(KvSqueezeGuard guard, String tenant) {
        for (int i = 0; i < 2; i++) {
            Admission admission = guard.admit(tenant, SNAPKV);
            assertThat(admission.degraded()).isFalse();
            admission.quotaExceeded();
        }
    }

    @Test
    void quotaFailuresOpenTheTenantsBreakerAndRejectModeRefusesWithItsWaitAsRetryAfter() {
        KvSqueezeGuard guard = guard(GuardMode.REJECT);
        Admission fits = guard.admit("a", SNAPKV);
        fits.withinQuota();
        fits.quotaExceeded(); // only the first outcome counts
        assertThat(breakers.breaker("a").getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        guard.admit("a", SNAPKV).quotaExceeded();
        // 1 of 2 over the quota: the minimum number of calls, at the 50 % threshold.
        assertThat(breakers.breaker("a").getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThatThrownBy(() -> guard.admit("a", SNAPKV)).isInstanceOfSatisfying(OverloadedException.class, e -> {
            assertThat(e.code()).isEqualTo(OverloadedException.KV_QUOTA_BREAKER_OPEN);
            assertThat(e.retryAfterSeconds()).isEqualTo(1);
            assertThat(e.getMessage()).contains("tenant 'a'", "kv_bytes_quota");
        });
        assertThat(meters.get("kvsqueeze.requests.rejected").tag("tenant", "a").tag("reason", "kv_quota_breaker_open")
                .counter().count()).isEqualTo(1);
        // Other tenants are not affected.
        assertThat(guard.admit("b", SNAPKV).policy()).isEqualTo(SNAPKV);
    }

    @Test
    void degradeModeRunsUnderHalfTheBudgetAndAHalfOpenProbeWithinTheQuotaCloses() {
        tenantModes.put("a", GuardMode.DEGRADE); // the tenant's own mode wins over the global one
        KvSqueezeGuard guard = guard(GuardMode.REJECT);
        exceedQuotaTwice(guard, "a");
        Admission degraded = guard.admit("a", SNAPKV);
        assertThat(degraded.degraded()).isTrue();
        assertThat(degraded.degradedBy()).isEqualTo(KvSqueezeGuard.DEGRADED_BY_KV_QUOTA);
        assertThat(degraded.policy().engine().budget()).isEqualTo(new Budget.Tokens(Budget.Tokens.DEFAULT / 2));
        degraded.quotaExceeded(); // no permission held: not recorded
        assertThat(breakers.breaker("a").getMetrics().getNumberOfFailedCalls()).isEqualTo(2);

        // After the wait the next request is a probe with the tenant's own policy.
        await().atMost(Duration.ofSeconds(5)).until(() -> !guard.admit("a", SNAPKV).degraded());
        assertThat(breakers.breaker("a").getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
    }

    @Test
    void halfOpenProbesCloseWhenWithinTheQuotaAndReopenWhenNot() throws InterruptedException {
        KvSqueezeGuard guard = guard(GuardMode.DEGRADE);
        CircuitBreaker breaker = breakers.breaker("a");
        exceedQuotaTwice(guard, "a");
        Thread.sleep(WAIT.toMillis() + 50);
        Admission probe = guard.admit("a", SNAPKV);
        assertThat(probe.degraded()).isFalse();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.HALF_OPEN);
        assertThat(guard.admit("a", SNAPKV).degraded()).as("one probe at a time").isTrue();
        probe.quotaExceeded();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        Thread.sleep(WAIT.toMillis() + 50);
        probe = guard.admit("a", SNAPKV);
        probe.withinQuota();
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(guard.admit("a", SNAPKV).degraded()).isFalse();
    }

    @Test
    void releasedPermissionsRecordNothing() {
        KvSqueezeGuard guard = guard(GuardMode.REJECT);
        for (int i = 0; i < 10; i++) {
            guard.admit("a", SNAPKV).release();
        }
        assertThat(breakers.breaker("a").getMetrics().getNumberOfBufferedCalls()).isZero();
    }

    @Test
    void theMemoryBreakerFollowsTheGlobalMode() {
        memoryBreaker.transitionToForcedOpenState();
        assertThatThrownBy(() -> guard(GuardMode.REJECT).admit(null, SNAPKV))
                .isInstanceOfSatisfying(OverloadedException.class,
                        e -> assertThat(e.code()).isEqualTo(OverloadedException.MEMORY_PRESSURE));
        assertThat(meters.get("kvsqueeze.requests.rejected").tag("tenant", "none").tag("reason", "memory_pressure")
                .counter().count()).isEqualTo(1);

        tenantModes.put("a", GuardMode.REJECT); // a tenant's mode is its own breaker's, not the memory breaker's
        Admission admission = guard(GuardMode.DEGRADE).admit("a", KvPolicy.full());
        assertThat(admission.degradedBy()).isEqualTo(KvSqueezeGuard.DEGRADED_BY_MEMORY);
        assertThat(admission.policy().source()).isEqualTo(DegradedPolicies.FULL_FALLBACK);
        assertThat(admission.policy().engine().budget()).isEqualTo(new Budget.Ratio(0.5));

        memory.sample(); // a real reading below the low watermark closes it
        assertThat(guard(GuardMode.DEGRADE).admit("a", KvPolicy.full()).degraded()).isFalse();
    }

    @Test
    void bothBreakersOpenDegradeOnce() {
        KvSqueezeGuard guard = guard(GuardMode.DEGRADE);
        exceedQuotaTwice(guard, "a");
        memoryBreaker.transitionToForcedOpenState();
        Admission admission = guard.admit("a", SNAPKV);
        assertThat(admission.degradedBy()).isEqualTo(KvSqueezeGuard.DEGRADED_BY_MEMORY);
        assertThat(admission.policy().engine().budget()).isEqualTo(new Budget.Tokens(Budget.Tokens.DEFAULT / 2));
    }

    @Test
    void degradedPoliciesHalveTheBudget() {
        DegradedPolicies policies = new DegradedPolicies();
        assertThat(policies.degrade(KvPolicy.full()).source()).isEqualTo(DegradedPolicies.FULL_FALLBACK);
        assertThat(policies.degrade(SNAPKV).source()).isEqualTo("{\"preset\":\"snapkv\",\"budget\":{\"tokens\":256}}");
        KvPolicy ratio = KvPolicy.parse("policy", "{\"preset\":\"ada-snapkv\",\"budget\":{\"ratio\":0.3}}");
        KvPolicy halved = policies.degrade(ratio);
        assertThat(halved.engine()).isEqualTo(ratio.engine().withBudget(new Budget.Ratio(0.15)));
        // Never below what the policy needs: its window plus its sinks.
        io.kvsqueeze.engine.compress.KvPolicy snapkv = SNAPKV.engine();
        int floor = snapkv.scorer().window() + snapkv.sinkTokens();
        KvPolicy small = KvPolicy.parse("policy", "{\"preset\":\"snapkv\",\"budget\":{\"tokens\":" + (floor + 2) + "}}");
        assertThat(policies.degrade(small).engine().budget()).isEqualTo(new Budget.Tokens(floor));
        assertThat(policies.degrade(SNAPKV)).isSameAs(policies.degrade(SNAPKV));
    }
}
