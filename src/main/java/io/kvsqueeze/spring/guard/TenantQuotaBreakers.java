package io.kvsqueeze.spring.guard;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.kvsqueeze.spring.ai.AdmissionGuard;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One Resilience4j circuit breaker per tenant, named {@value #NAME_PREFIX}{@code <tenant>}, that opens when the
 * tenant keeps sending requests over its KV bytes quota: each quota check is a call, a request over the quota a
 * failure, in a count-based sliding window. While it is open the tenant's requests are refused or degraded (its
 * guard mode); after the wait the next requests are half-open probes, and probes within the quota close it.
 * The breakers live in Resilience4j's registry, so its Spring Boot integration exports their state and calls.
 */
public final class TenantQuotaBreakers {
    public static final String NAME_PREFIX = "kvsqueeze-tenant-";

    private final CircuitBreakerRegistry registry;
    private final CircuitBreakerConfig config;
    private final Duration openWait;

    public TenantQuotaBreakers(CircuitBreakerRegistry registry, Settings settings) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.openWait = settings.waitDurationInOpenState();
        this.config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.slidingWindowSize())
                .minimumNumberOfCalls(settings.minimumNumberOfCalls())
                .failureRateThreshold(settings.failureRateThreshold())
                .waitDurationInOpenState(settings.waitDurationInOpenState())
                .permittedNumberOfCallsInHalfOpenState(settings.permittedCallsInHalfOpenState())
                .recordException(failure -> failure instanceof QuotaExceeded)
                // Slow calls mean nothing here: a call is a quota check, not a generation.
                .slowCallRateThreshold(100)
                .slowCallDurationThreshold(Duration.ofDays(1))
                .build();
    }

    /** The tenant's breaker, created the first time it is asked for. */
    public CircuitBreaker breaker(String tenant) {
        return registry.circuitBreaker(NAME_PREFIX + tenant, config);
    }

    /** Every tenant breaker created so far. */
    public List<CircuitBreaker> breakers() {
        return registry.getAllCircuitBreakers().stream().filter(b -> b.getName().startsWith(NAME_PREFIX)).toList();
    }

    /** The tenant of a breaker from {@link #breakers()}. */
    public static String tenantOf(CircuitBreaker breaker) {
        return breaker.getName().substring(NAME_PREFIX.length());
    }

    /** Forgets a deleted tenant's breaker. */
    public void remove(String tenant) {
        registry.remove(NAME_PREFIX + tenant);
    }

    /** Forgets the breakers of every tenant not in {@code tenants} (the ones deleted). */
    public void retainOnly(java.util.Set<String> tenants) {
        for (CircuitBreaker breaker : breakers()) {
            if (!tenants.contains(tenantOf(breaker))) {
                registry.remove(breaker.getName());
            }
        }
    }

    /** What a refusal tells the client: the breaker stays open this long. */
    public long retryAfterSeconds() {
        return AdmissionGuard.OverloadedException.seconds(openWait);
    }

    /** Where a request holding a permission of {@code breaker} reports its quota check. */
    static AdmissionGuard.QuotaOutcome outcome(CircuitBreaker breaker) {
        return new AdmissionGuard.QuotaOutcome() {
            @Override
            public void withinQuota() {
                breaker.onSuccess(0, TimeUnit.NANOSECONDS);
            }

            @Override
            public void quotaExceeded() {
                breaker.onError(0, TimeUnit.NANOSECONDS, new QuotaExceeded());
            }

            @Override
            public void release() {
                breaker.releasePermission();
            }
        };
    }

    /** The failure a breaker records for a request over its tenant's quota. */
    static final class QuotaExceeded extends RuntimeException {
        QuotaExceeded() {
            super("over the tenant's kv_bytes_quota", null, false, false);
        }
    }

    /**
     * @param slidingWindowSize             quota checks the failure rate is computed over
     * @param minimumNumberOfCalls          checks needed before the rate counts
     * @param failureRateThreshold          percentage of checks over the quota that opens the breaker
     * @param waitDurationInOpenState       how long it stays open before probing
     * @param permittedCallsInHalfOpenState probes that decide whether it closes
     */
    public record Settings(int slidingWindowSize, int minimumNumberOfCalls, float failureRateThreshold,
                           Duration waitDurationInOpenState, int permittedCallsInHalfOpenState) {
    }
}
