package io.kvsqueeze.spring.tenant;

import org.jspecify.annotations.Nullable;

/**
 * What one tenant may use; a null limit means none beyond the engine's own.
 *
 * @param maxContextTokens      most tokens of prompt plus reply in one request
 * @param maxNewTokens          most tokens generated for one reply
 * @param kvBytesQuota          most bytes the KV cache of one request may hold
 * @param maxConcurrentRequests most requests in flight (queued or generating) at once
 * @param guardMode             what this tenant's requests get while its KV-quota breaker is open (reject or
 *                              degrade); null: {@code kvsqueeze.guard.mode}
 */
public record TenantLimits(@Nullable Integer maxContextTokens, @Nullable Integer maxNewTokens,
                           @Nullable Long kvBytesQuota, @Nullable Integer maxConcurrentRequests,
                           @Nullable GuardMode guardMode) {

    public static final TenantLimits NONE = new TenantLimits(null, null, null, null, null);

    /** Limits with the global guard mode. */
    public TenantLimits(@Nullable Integer maxContextTokens, @Nullable Integer maxNewTokens,
                        @Nullable Long kvBytesQuota, @Nullable Integer maxConcurrentRequests) {
        this(maxContextTokens, maxNewTokens, kvBytesQuota, maxConcurrentRequests, null);
    }

    public TenantLimits {
        positive("max_context_tokens", maxContextTokens);
        positive("max_new_tokens", maxNewTokens);
        positive("kv_bytes_quota", kvBytesQuota);
        positive("max_concurrent_requests", maxConcurrentRequests);
    }

    private static void positive(String field, @Nullable Number value) {
        if (value != null && value.longValue() < 1) {
            throw new InvalidTenantException(field, field + " must be at least 1 (or null for no limit), got " + value);
        }
    }
}
