package io.kvsqueeze.engine.compress;

import io.kvsqueeze.engine.generate.KvCompression;
import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.model.ForwardPass;
import io.kvsqueeze.engine.model.LlamaConfig;
import java.util.Arrays;

/**
 * A {@link KvPolicy} acting on one sequence's cache. A prompt prefilled from an empty cache is observed (the
 * policy's attention sums and layer cosines), then each (layer, KV head) keeps the positions its
 * {@link CompressionPlan} names, so the logits of the prompt's last token still saw everything and later tokens
 * attend to the kept entries only. With {@code decodeEviction}, each head then stays at its planned size during
 * generation: before a token is appended, a full head drops the entry {@link DecodeEviction} picks.
 *
 * <p>Once entries were dropped, the sequence does not reuse its cached prefix ({@link #keepsEveryEntry}): the
 * next prompt (a chat's next turn included) is prefilled from an empty cache and compressed for its own
 * question.
 */
public final class PolicyKvCompression implements KvCompression {
    private final KvPolicy policy;
    private final CompressionPlanner planner;
    private final DecodeEviction eviction;
    private PrefillObserver prefill;
    private boolean freshPrompt;
    private boolean dropped;
    private long lastCompressionNanos;
    private CompressionPlan plan;
    // Decode eviction: per thread, per (layer, KV head), the attention each entry received since it was kept.
    private float[][][] running;
    private int[] positionScratch;
    private int[] keepScratch;

    public PolicyKvCompression(KvPolicy policy, int layers, int kvHeads) {
        this.policy = policy;
        this.planner = new CompressionPlanner(policy, layers, kvHeads);
        this.eviction = policy.decodeEviction() && !policy.isFull() ? DecodeEviction.forPolicy(policy) : null;
    }

    public KvPolicy policy() {
        return policy;
    }

    /** Time the last compression took after its prefill: planning and evicting (observing is in the prefill). */
    public long lastCompressionNanos() {
        return lastCompressionNanos;
    }

    /**
     * The plan of the last prompt prefilled from an empty cache: a compressed one, an uncompressed one when the
     * prompt fitted the budget and decode eviction is on, or null when nothing needed a plan.
     */
    public CompressionPlan lastPlan() {
        return plan;
    }

    @Override
    public void beforePrefill(ForwardPass pass, int firstNewPosition, int promptLength) {
        freshPrompt = firstNewPosition == 0;
        lastCompressionNanos = 0;
        if (!freshPrompt) {
            return; // continuing an uncompressed prefix: abandon() cleared running scores past the cut
        }
        plan = null;
        dropped = false;
        if (!planner.compresses(promptLength)) {
            return;
        }
        int first = planner.firstObservedQuery(promptLength);
        LlamaConfig config = pass.config();
        prefill = new PrefillObserver(pass.threads(), config.layers(), config.kvHeads(), config.queriesPerKvHead(),
                config.dim(), pass.batchCapacity(), promptLength,
                first < promptLength ? new int[] {first} : new int[0], planner.needsLayerCosine());
        if (first < promptLength) {
            pass.attentionObserver(prefill);
        }
        if (planner.needsLayerCosine()) {
            pass.hiddenStateObserver(prefill);
        }
    }

    @Override
    public void afterPrefill(ForwardPass pass, int promptLength) {
        if (prefill == null) {
            if (freshPrompt && eviction != null) {
                // the prompt fitted: nothing to evict yet, but generation must not grow past the budget
                plan = planner.plan(promptLength, null, null);
                if (eviction.mode() == DecodeEviction.Mode.ACCUMULATED_ATTENTION) {
                    startRunningScores(pass, null);
                }
            }
            return;
        }
        long start = System.nanoTime();
        PrefillObserver observed = prefill;
        abandon(pass);
        boolean observes = planner.firstObservedQuery(promptLength) < promptLength;
        plan = planner.plan(promptLength, observes ? observed.observations(0) : null, observed.layerCosines());
        apply(plan, pass.cache());
        dropped = plan.compressed();
        if (eviction != null && eviction.mode() == DecodeEviction.Mode.ACCUMULATED_ATTENTION) {
            startRunningScores(pass, observes ? observed.observations(0) : null);
        }
        lastCompressionNanos = System.nanoTime() - start;
    }

    /**
     * Makes {@code cache}, which holds a whole prompt at positions {@code 0..promptLength-1}, keep exactly the
     * positions of {@code plan}.
     */
    public static void apply(CompressionPlan plan, KvCache cache) {
        if (!plan.compressed()) {
            return;
        }
        for (int layer = 0; layer < plan.layers(); layer++) {
            for (int kvHead = 0; kvHead < plan.kvHeads(); kvHead++) {
                int[] kept = plan.kept(layer, kvHead); // positions, and in a fresh prefill also indices
                cache.retain(layer, kvHead, kept, kept.length);
            }
        }
    }

    /** Running scores start from the prefill sums of the kept entries (H2O accumulates from the prompt on). */
    private void startRunningScores(ForwardPass pass, AttentionObservations[] observations) {
        KvCache cache = pass.cache();
        int heads = cache.layers() * cache.kvHeads();
        if (running == null || running.length != pass.threads() || running[0].length != heads) {
            running = new float[pass.threads()][heads][cache.capacity()]; // once per sequence, then reused
        } else {
            for (float[][] thread : running) {
                for (float[] scores : thread) {
                    Arrays.fill(scores, 0f);
                }
            }
        }
        groupWeight = 1f / pass.config().queriesPerKvHead();
        if (observations == null) {
            return;
        }
        for (int layer = 0; layer < cache.layers(); layer++) {
            for (int kvHead = 0; kvHead < cache.kvHeads(); kvHead++) {
                float[] sums = observations[layer].columnSums(kvHead);
                float[] scores = running[0][layer * cache.kvHeads() + kvHead];
                for (int i = 0; i < cache.length(layer, kvHead); i++) {
                    scores[i] = sums[cache.position(layer, kvHead, i)];
                }
            }
        }
    }

    @Override
    public void beforeAppend(ForwardPass pass, int position) {
        if (eviction == null || plan == null) {
            return;
        }
        KvCache cache = pass.cache();
        if (positionScratch == null) {
            positionScratch = new int[cache.capacity()];
            keepScratch = new int[cache.capacity()];
        }
        for (int layer = 0; layer < cache.layers(); layer++) {
            for (int kvHead = 0; kvHead < cache.kvHeads(); kvHead++) {
                int length = cache.length(layer, kvHead);
                if (length >= plan.decodeCapacity(layer, kvHead) && length > 0) {
                    evictOne(cache, layer, kvHead, length);
                }
            }
        }
        if (running != null) {
            pass.attentionObserver(decodeObserver);
        }
    }

    private void evictOne(KvCache cache, int layer, int kvHead, int length) {
        int head = layer * cache.kvHeads() + kvHead;
        float[] total = null;
        if (running != null) {
            total = running[0][head];
            for (int t = 1; t < running.length; t++) {
                float[] part = running[t][head];
                for (int i = 0; i < length; i++) {
                    total[i] += part[i];
                    part[i] = 0f;
                }
            }
        }
        for (int i = 0; i < length; i++) {
            positionScratch[i] = cache.position(layer, kvHead, i);
        }
        int victim = eviction.victim(positionScratch, total, length);
        if (victim < 0) {
            return; // every entry is a sink or in the recent window: the head grows past its budget
        }
        int kept = 0;
        for (int i = 0; i < length; i++) {
            if (i != victim) {
                keepScratch[kept++] = i;
            }
        }
        cache.retain(layer, kvHead, keepScratch, kept);
        dropped = true;
        if (total != null) {
            System.arraycopy(total, victim + 1, total, victim, length - victim - 1);
            total[length - 1] = 0f;
        }
    }

    private float groupWeight;
    private final AttentionObserver decodeObserver = (thread, layer, position, queryHead, kvHead, probabilities,
                                                      visible) -> DecodeEviction.accumulate(
            running[thread][layer * plan.kvHeads() + kvHead], probabilities, 0, visible, groupWeight);

    @Override
    public void afterAppend(ForwardPass pass, int length) {
        pass.attentionObserver(null);
    }

    @Override
    public void abandon(ForwardPass pass) {
        pass.attentionObserver(null);
        pass.hiddenStateObserver(null);
        prefill = null;
        if (running != null) {
            // entries past each head's length are gone: the next ones to take their indices start from zero
            KvCache cache = pass.cache();
            for (int layer = 0; layer < cache.layers(); layer++) {
                for (int kvHead = 0; kvHead < cache.kvHeads(); kvHead++) {
                    int from = cache.length(layer, kvHead);
                    for (float[][] thread : running) {
                        Arrays.fill(thread[layer * cache.kvHeads() + kvHead], from, cache.capacity(), 0f);
                    }
                }
            }
        }
        if (pass.cache().length(0, 0) == 0) {
            plan = null; // reset: nothing left to keep a budget for
            dropped = false;
        }
    }

    @Override
    public boolean keepsEveryEntry() {
        return !dropped;
    }

    /** Bytes the positions a plan keeps take in a store of {@code elementBytes} per element. */
    public static long plannedBytes(CompressionPlan plan, int headDim, int elementBytes) {
        return plan.totalKept() * headDim * 2L * elementBytes;
    }

}
