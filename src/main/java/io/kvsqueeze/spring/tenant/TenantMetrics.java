package io.kvsqueeze.spring.tenant;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Per-tenant meters. The tenant tag is the tenant id ({@value #NO_TENANT} for calls made outside any tenant),
 * so their number grows with the number of tenants: fine for the tens to hundreds a single model serves; use a
 * {@code MeterFilter} to drop the tag if there are many more.
 *
 * <ul>
 *   <li>{@code kvsqueeze.generations} (counter; tenant, finish_reason)</li>
 *   <li>{@code kvsqueeze.tokens} (counter; tenant, type = prompt | completion)</li>
 *   <li>{@code kvsqueeze.kv.bytes} (summary of the KV bytes a generation ended with; tenant)</li>
 *   <li>{@code kvsqueeze.kv.compression.ratio} (summary of those bytes over what the uncompressed cache would
 *       hold for the same tokens: 1 for {@code full}, about the budget ratio for a compressing policy; tenant)</li>
 *   <li>{@code kvsqueeze.requests.rejected} (counter; tenant, reason): refused by a tenant limit (from the
 *       OpenAI-compatible API) or by a guard in {@code reject} mode ({@code memory_pressure},
 *       {@code kv_quota_breaker_open})</li>
 *   <li>{@code kvsqueeze.requests.degraded} (counter; tenant, reason = {@code memory_pressure} |
 *       {@code kv_quota}): generations run under the degraded policy by a guard in {@code degrade} mode</li>
 * </ul>
 */
public final class TenantMetrics {
    public static final String NO_TENANT = "none";
    private final @Nullable MeterRegistry registry;

    /** @param registry null records nothing */
    public TenantMetrics(@Nullable MeterRegistry registry) {
        this.registry = registry;
    }

    public void generation(@Nullable String tenant, String finishReason, int promptTokens, int completionTokens,
                           long kvBytes, long kvBytesFull) {
        if (registry == null) {
            return;
        }
        String tag = tag(tenant);
        Counter.builder("kvsqueeze.generations").description("Generations finished")
                .tag("tenant", tag).tag("finish_reason", finishReason).register(registry).increment();
        Counter.builder("kvsqueeze.tokens").description("Tokens processed").baseUnit("tokens")
                .tag("tenant", tag).tag("type", "prompt").register(registry).increment(promptTokens);
        Counter.builder("kvsqueeze.tokens").description("Tokens processed").baseUnit("tokens")
                .tag("tenant", tag).tag("type", "completion").register(registry).increment(completionTokens);
        DistributionSummary.builder("kvsqueeze.kv.bytes").description("KV cache bytes at the end of a generation")
                .baseUnit("bytes").tag("tenant", tag).register(registry).record(kvBytes);
        if (kvBytesFull > 0) {
            DistributionSummary.builder("kvsqueeze.kv.compression.ratio")
                    .description("KV bytes held over the bytes of the uncompressed cache, per generation")
                    .tag("tenant", tag).register(registry).record(kvBytes / (double) kvBytesFull);
        }
    }

    public void rejected(@Nullable String tenant, String reason) {
        if (registry != null) {
            Counter.builder("kvsqueeze.requests.rejected").description("Requests refused by a tenant limit or a guard")
                    .tag("tenant", tag(tenant)).tag("reason", reason).register(registry).increment();
        }
    }

    public void degraded(@Nullable String tenant, String reason) {
        if (registry != null) {
            Counter.builder("kvsqueeze.requests.degraded")
                    .description("Generations a guard ran under the degraded policy (half the budget)")
                    .tag("tenant", tag(tenant)).tag("reason", reason).register(registry).increment();
        }
    }

    private static String tag(@Nullable String tenant) {
        return tenant == null ? NO_TENANT : tenant;
    }
}
