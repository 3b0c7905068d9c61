package io.kvsqueeze.spring.ai;

import io.kvsqueeze.spring.tenant.KvPolicy;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Decides, before a generation is queued, whether the process can take it on, and under which KV policy: the
 * tenant's own, or a degraded one while a guard in {@code degrade} mode is open.
 */
@FunctionalInterface
public interface AdmissionGuard {
    AdmissionGuard ALWAYS = (tenant, policy) -> Admission.of(policy);

    /**
     * @param tenant the tenant, or null for calls made outside any tenant
     * @param policy the policy the generation would run under
     * @throws OverloadedException when the generation must not start now
     */
    Admission admit(@Nullable String tenant, KvPolicy policy);

    /**
     * A generation let in. {@link #policy()} is what it runs under; while it holds a permission of the tenant's
     * KV-quota breaker, the caller reports the outcome of the quota check with {@link #withinQuota()} or
     * {@link #quotaExceeded()}, or hands the permission back with {@link #release()}. Only the first of these
     * counts.
     */
    final class Admission {
        private final KvPolicy policy;
        private final @Nullable String degradedBy;
        private final @Nullable QuotaOutcome quota;
        private final AtomicBoolean settled = new AtomicBoolean();

        /**
         * @param degradedBy which guard degraded the policy ({@code memory_pressure} or {@code kv_quota}); null:
         *                   not degraded
         * @param quota      where the quota check's outcome goes; null: nowhere
         */
        public Admission(KvPolicy policy, @Nullable String degradedBy, @Nullable QuotaOutcome quota) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.degradedBy = degradedBy;
            this.quota = quota;
        }

        public static Admission of(KvPolicy policy) {
            return new Admission(policy, null, null);
        }

        public KvPolicy policy() {
            return policy;
        }

        public boolean degraded() {
            return degradedBy != null;
        }

        public @Nullable String degradedBy() {
            return degradedBy;
        }

        /** The request fits its tenant's KV bytes quota: a success for the tenant's breaker. */
        public void withinQuota() {
            if (quota != null && settled.compareAndSet(false, true)) {
                quota.withinQuota();
            }
        }

        /** The request needs more KV bytes than its tenant's quota: a failure for the tenant's breaker. */
        public void quotaExceeded() {
            if (quota != null && settled.compareAndSet(false, true)) {
                quota.quotaExceeded();
            }
        }

        /** No quota check happened (refused for another reason, or no quota applies): no outcome is recorded. */
        public void release() {
            if (quota != null && settled.compareAndSet(false, true)) {
                quota.release();
            }
        }
    }

    /** Receives the outcome of one request's KV quota check. */
    interface QuotaOutcome {
        void withinQuota();

        void quotaExceeded();

        void release();
    }

    /**
     * The process or the tenant cannot take on a generation now; {@link #retryAfterSeconds()} says when to try
     * again and {@link #code()} why ({@value #MEMORY_PRESSURE} or {@value #KV_QUOTA_BREAKER_OPEN}).
     */
    class OverloadedException extends RuntimeException {
        public static final String MEMORY_PRESSURE = "memory_pressure";
        public static final String KV_QUOTA_BREAKER_OPEN = "kv_quota_breaker_open";

        private final long retryAfterSeconds;
        private final String code;

        public OverloadedException(String message, long retryAfterSeconds) {
            this(message, retryAfterSeconds, MEMORY_PRESSURE);
        }

        public OverloadedException(String message, long retryAfterSeconds, String code) {
            super(message);
            this.retryAfterSeconds = retryAfterSeconds;
            this.code = Objects.requireNonNull(code, "code");
        }

        public long retryAfterSeconds() {
            return retryAfterSeconds;
        }

        public String code() {
            return code;
        }

        /** Whole seconds, at least one, for a Retry-After header. */
        public static long seconds(java.time.Duration wait) {
            return Math.max(1, TimeUnit.MILLISECONDS.toSeconds(wait.toMillis() + 999));
        }
    }
}
