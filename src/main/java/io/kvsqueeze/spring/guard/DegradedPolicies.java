package io.kvsqueeze.spring.guard;

import io.kvsqueeze.engine.compress.Budget;
import io.kvsqueeze.spring.tenant.KvPolicy;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The stronger policy a request runs under while a guard in {@code degrade} mode is open: the same policy with
 * half its budget. {@code budget.tokens: n} becomes {@code n / 2}, but never below what the policy itself
 * requires ({@code scorer.window + sinkTokens}); {@code budget.ratio: r} becomes {@code r / 2}. The uncompressed
 * {@code full} policy has no budget to halve, so it becomes {@code snapkv} at ratio 0.5. A preset keeps its
 * name: {@code snapkv} (512 tokens) becomes {@code {"preset":"snapkv","budget":{"tokens":256}}}; a JSON policy
 * is written out whole.
 */
public final class DegradedPolicies {
    /** What {@code full} degrades to. */
    public static final String FULL_FALLBACK = "{\"preset\":\"snapkv\",\"budget\":{\"ratio\":0.5}}";

    private final ConcurrentMap<KvPolicy, KvPolicy> degraded = new ConcurrentHashMap<>();

    /** The degraded form of {@code policy}, computed once per policy. */
    public KvPolicy degrade(KvPolicy policy) {
        return degraded.computeIfAbsent(policy, DegradedPolicies::halve);
    }

    static KvPolicy halve(KvPolicy policy) {
        io.kvsqueeze.engine.compress.KvPolicy engine = policy.engine();
        if (engine.isFull()) {
            return KvPolicy.parse("degraded policy", FULL_FALLBACK);
        }
        Budget half = switch (engine.budget()) {
            case Budget.Tokens(int tokens) ->
                    new Budget.Tokens(Math.max(tokens / 2, engine.scorer().window() + engine.sinkTokens()));
            case Budget.Ratio(double ratio) -> new Budget.Ratio(ratio / 2);
        };
        io.kvsqueeze.engine.compress.KvPolicy halved = engine.withBudget(half);
        String source = policy.source();
        if (!source.startsWith("{")) {
            // A preset: say so, with the budget that changed, as long as that reads back as the same policy.
            String preset = "{\"preset\":\"" + source + "\",\"budget\":" + budgetJson(half) + "}";
            if (io.kvsqueeze.engine.compress.KvPolicy.parse(preset).equals(halved)) {
                return new KvPolicy(preset);
            }
        }
        return new KvPolicy(halved.toJson());
    }

    private static String budgetJson(Budget budget) {
        return switch (budget) {
            case Budget.Tokens(int tokens) -> "{\"tokens\":" + tokens + "}";
            case Budget.Ratio(double ratio) -> "{\"ratio\":" + ratio + "}";
        };
    }
}
