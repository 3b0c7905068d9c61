package io.kvsqueeze.eval;

import io.kvsqueeze.engine.InferenceEngine;
import io.kvsqueeze.engine.compress.AttentionObservations;
import io.kvsqueeze.engine.compress.Budget;
import io.kvsqueeze.engine.compress.CompressionPlan;
import io.kvsqueeze.engine.compress.CompressionPlanner;
import io.kvsqueeze.engine.compress.KvPolicy;
import io.kvsqueeze.engine.compress.PolicyKvCompression;
import io.kvsqueeze.engine.compress.PrefillObserver;
import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.generate.Sequence;
import io.kvsqueeze.engine.kv.KvElementType;
import io.kvsqueeze.engine.model.ForwardPass;
import io.kvsqueeze.engine.model.LlamaConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs many (policy, budget) settings on one prompt for the price of one prefill: the prompt runs once over
 * the full cache while a {@link PrefillObserver} collects what every setting's planner needs; then each setting
 * compresses a copy of that cache with its own plan and continues from there. This is exactly what a sequence
 * compressed by the policy would hold (prefill compression acts after the whole prompt ran), so the results
 * are those of running each setting alone, at a fraction of the time.
 */
public final class CompressionEval implements AutoCloseable {
    /** One policy at one budget; {@code budget} null keeps the policy's own. */
    public record Setting(String policyName, String budget) {
        public KvPolicy policy() {
            KvPolicy policy = KvPolicy.parse(policyName);
            return budget == null ? policy : policy.withBudget(Budget.parse(budget));
        }

        public String label() {
            return budget == null ? policyName : policyName + " @ " + budget;
        }
    }

    /** A prompt after its shared prefill: the full-cache logits and each setting's compressed sequence source. */
    public final class Prefilled {
        private final int promptLength;
        private final float[] logits;
        private final PrefillObserver observer;
        private final int[] firstObserved;

        private Prefilled(int promptLength, float[] logits, PrefillObserver observer, int[] firstObserved) {
            this.promptLength = promptLength;
            this.logits = logits;
            this.observer = observer;
            this.firstObserved = firstObserved;
        }

        /** The logits after the prompt's last token, with the whole prompt in view (as for every setting). */
        public float[] logits() {
            return logits;
        }

        /**
         * Loads the work sequence with the prompt compressed as {@code setting} would, and returns the bytes its
         * cache holds. The full policy keeps everything.
         */
        public long compressInto(Setting setting) {
            work.copyFrom(base);
            CompressionPlanner planner = planners.get(setting);
            if (planner != null) {
                int first = planner.firstObservedQuery(promptLength);
                AttentionObservations[] observations = first < promptLength
                        ? observer.observations(indexOf(firstObserved, first)) : null;
                CompressionPlan plan = planner.plan(promptLength, observations,
                        planner.needsLayerCosine() ? observer.layerCosines() : null);
                PolicyKvCompression.apply(plan, work.forwardPass().cache());
            }
            return work.forwardPass().cache().bytes();
        }

        /** Bytes of the uncompressed cache for the prompt. */
        public long fullBytes() {
            return base.fullKvBytes();
        }
    }

    private final InferenceEngine engine;
    private final LlamaConfig config;
    private final List<Setting> settings;
    private final Map<Setting, CompressionPlanner> planners = new HashMap<>(); // none for the full cache
    private final Sequence base;
    private final Sequence work;

    public CompressionEval(InferenceEngine engine, List<Setting> settings) {
        this.engine = engine;
        this.config = engine.model().config();
        this.settings = List.copyOf(settings);
        for (Setting setting : settings) {
            KvPolicy policy = setting.policy(); // rejects a bad policy or budget before any work
            if (policy.decodeEviction()) {
                throw new IllegalArgumentException(setting.label() + ": the evaluation measures prefill compression"
                        + " and does not simulate decodeEviction; evaluate the policy without it");
            }
            if (!policy.isFull()) {
                planners.put(setting, new CompressionPlanner(policy, config.layers(), config.kvHeads()));
            }
        }
        this.base = engine.newSequence(KvElementType.F16);
        this.work = engine.newSequence(KvElementType.F16);
    }

    public List<Setting> settings() {
        return settings;
    }

    /** The sequence that {@link Prefilled#compressInto} loaded: decode or teacher-force on it. */
    public Sequence work() {
        return work;
    }

    /** Prefills {@code prompt} once, observing what every setting needs. */
    public Prefilled prefill(int[] prompt) {
        int n = prompt.length;
        Set<Integer> firsts = new LinkedHashSet<>();
        boolean cosines = false;
        for (CompressionPlanner planner : planners.values()) {
            int first = planner.firstObservedQuery(n);
            if (first < n) {
                firsts.add(first);
            }
            cosines |= planner.compresses(n) && planner.needsLayerCosine();
        }
        int[] firstObserved = firsts.stream().mapToInt(Integer::intValue).toArray();
        ForwardPass pass = base.forwardPass();
        PrefillObserver observer = new PrefillObserver(pass.threads(), config.layers(), config.kvHeads(),
                config.queriesPerKvHead(), config.dim(), pass.batchCapacity(), n, firstObserved, cosines);
        base.reset();
        pass.attentionObserver(firstObserved.length > 0 ? observer : null);
        pass.hiddenStateObserver(cosines ? observer : null);
        float[] logits;
        try {
            logits = base.prefill(prompt).clone();
        } finally {
            pass.attentionObserver(null);
            pass.hiddenStateObserver(null);
        }
        return new Prefilled(n, logits, observer, firstObserved);
    }

    /** Greedy tokens from {@code logits} on, appending each to the work sequence; end-of-generation stops. */
    public int[] greedy(float[] logits, int maxTokens) {
        List<Integer> tokens = new ArrayList<>();
        float[] current = logits;
        for (int i = 0; i < maxTokens; i++) {
            int token = VectorOps.argmax(current, config.vocabSize());
            if (engine.tokenizer().isEndOfGeneration(token)) {
                break;
            }
            tokens.add(token);
            if (i + 1 < maxTokens) {
                current = work.append(token);
            }
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        throw new IllegalStateException("no observations from query " + value + " in " + Arrays.toString(values));
    }

    @Override
    public void close() {
        base.reset();
        work.reset();
    }
}
