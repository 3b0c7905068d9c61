package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.HiddenStateObserver;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.tensor.Q8Activations;
import io.kvsqueeze.engine.tensor.WeightTensor;

/**
 * The transformer forward pass of one sequence, over a batch of consecutive tokens: the whole prompt chunk by
 * chunk (prefill), or one token (decode). It reads top-down like llama2.c: embed, then per layer attention and
 * SwiGLU feed-forward with RMSNorm and residuals, then the final norm and the logits of the last token.
 *
 * <p>All buffers are allocated once, here, for {@code batchCapacity} tokens; the token loop allocates nothing.
 * Matrix products run on the {@link ThreadPool}, each member taking a contiguous share of the output rows;
 * the small vector work (norms, RoPE, residuals) runs on the calling thread. Activations are quantized to 8
 * bits once per matrix input so the quantized weights are multiplied with integer dot products, as ggml does.
 */
public final class ForwardPass {
    /** Most queries of one KV head handled as one attention work item (bounds the score buffers). */
    private static final int MAX_GROUP = 24;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final KvCache cache;
    private final ThreadPool pool;
    private final Rope rope;
    private final int batchCapacity;
    private final float attentionScale;

    // Activations of the current batch: [token][features].
    private final float[][] x;          // residual stream
    private final float[][] xb;         // normed input of a sub-block
    private final float[][] q;          // queries (heads * headDim)
    private final float[][] k;          // keys (kvDim)
    private final float[][] v;          // values (kvDim)
    private final float[][] attention;  // attention output (heads * headDim)
    private final float[][] xb2;        // output of a sub-block before the residual add
    private final float[][] gate;       // ffn gate, then silu(gate) * up
    private final float[][] up;         // ffn up
    private final Q8Activations[] quantizedDim;
    private final Q8Activations[] quantizedFfn;
    // Per pool member, for one attention work item (up to MAX_GROUP queries of one KV head):
    private final float[][][] scores;   // [thread][query][entry] scores, then probabilities
    private final float[][][] queryRows;    // [thread][query] -> q[t] of the query's token
    private final int[][] queryOffsets;     // [thread][query] -> head * headDim
    private final int[][] visible;          // [thread][query] entries the query sees
    private final float[][][] outputRows;   // [thread][query] -> attention[t]
    private final float[] logits;

    // Hooks for KV compression, null when off.
    private AttentionObserver attentionObserver;
    private HiddenStateObserver hiddenStateObserver;

    // The region being run: set by the caller before each pool.run, read by every member.
    private int tokens;
    private int layer;
    private final int[] positions;

    private final ThreadPool.Task qkvRegion = this::qkv;
    private final ThreadPool.Task attentionRegion = this::attend;
    private final ThreadPool.Task outputProjectionRegion = this::outputProjection;
    private final ThreadPool.Task gateUpRegion = this::gateUp;
    private final ThreadPool.Task downRegion = this::down;
    private final ThreadPool.Task logitsRegion = this::logits;

    public ForwardPass(LlamaModel model, KvCache cache, ThreadPool pool, Rope rope, int batchCapacity) {
        this.config = model.config();
        this.weights = model.weights();
        this.cache = cache;
        this.pool = pool;
        this.rope = rope;
        this.batchCapacity = batchCapacity;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        int qDim = config.heads() * config.headDim();
        this.x = new float[batchCapacity][config.dim()];
        this.xb = new float[batchCapacity][config.dim()];
        this.q = new float[batchCapacity][qDim];
        this.k = new float[batchCapacity][config.kvDim()];
        this.v = new float[batchCapacity][config.kvDim()];
        this.attention = new float[batchCapacity][qDim];
        this.xb2 = new float[batchCapacity][config.dim()];
        this.gate = new float[batchCapacity][config.ffnDim()];
        this.up = new float[batchCapacity][config.ffnDim()];
        this.quantizedDim = new Q8Activations[batchCapacity];
        this.quantizedFfn = new Q8Activations[batchCapacity];
        for (int t = 0; t < batchCapacity; t++) {
            quantizedDim[t] = new Q8Activations(Math.max(config.dim(), qDim));
            quantizedFfn[t] = new Q8Activations(config.ffnDim());
        }
        int threads = pool.threads();
        this.scores = new float[threads][MAX_GROUP][cache.capacity()];
        this.queryRows = new float[threads][MAX_GROUP][];
        this.queryOffsets = new int[threads][MAX_GROUP];
        this.visible = new int[threads][MAX_GROUP];
        this.outputRows = new float[threads][MAX_GROUP][];
        this.logits = new float[config.vocabSize()];
        this.positions = new int[batchCapacity];
    }

    public int batchCapacity() {
        return batchCapacity;
    }

    public LlamaConfig config() {
        return config;
    }

    public KvCache cache() {
        return cache;
    }

    /** Members of the thread team, the bound of the {@code thread} argument an {@link AttentionObserver} gets. */
    public int threads() {
        return pool.threads();
    }

    /** Sets (or, with null, removes) the observer of attention probabilities. */
    public void attentionObserver(AttentionObserver observer) {
        this.attentionObserver = observer;
    }

    /** Sets (or, with null, removes) the observer of each layer's input and post-attention residual stream. */
    public void hiddenStateObserver(HiddenStateObserver observer) {
        this.hiddenStateObserver = observer;
    }

    /**
     * Runs {@code count} tokens at consecutive positions from {@code startPosition}, appending their keys and
     * values to the cache. Returns the logits of the last token, or null when {@code computeLogits} is false
     * (then the last layer stops after writing its keys and values, which is all later tokens need).
     * The returned array is reused by the next call.
     */
    public float[] forward(int[] tokenIds, int from, int count, int startPosition, boolean computeLogits) {
        if (count < 1 || count > batchCapacity) {
            throw new IllegalArgumentException("batch of " + count + " tokens, capacity " + batchCapacity);
        }
        tokens = count;
        for (int t = 0; t < count; t++) {
            int id = tokenIds[from + t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + config.vocabSize());
            }
            weights.tokenEmbedding().dequantizeRow(id, x[t], 0);
            positions[t] = startPosition + t;
        }

        for (layer = 0; layer < config.layers(); layer++) {
            LlamaWeights.Layer w = weights.layers()[layer];
            if (hiddenStateObserver != null) {
                for (int t = 0; t < count; t++) {
                    hiddenStateObserver.layerInput(layer, positions[t], x[t], config.dim());
                }
            }

            // Attention: norm, Q/K/V projections, RoPE at the tokens' positions, append K/V, attend, project.
            for (int t = 0; t < count; t++) {
                VectorOps.rmsNorm(xb[t], 0, x[t], 0, w.attentionNorm(), config.dim(), config.rmsEps());
                quantizedDim[t].quantize(xb[t], 0, config.dim());
            }
            pool.run(qkvRegion);
            for (int t = 0; t < count; t++) {
                addBias(q[t], w.bq());
                addBias(k[t], w.bk());
                addBias(v[t], w.bv());
                rope.apply(q[t], 0, config.heads(), positions[t]);
                rope.apply(k[t], 0, config.kvHeads(), positions[t]);
                // llama.cpp keeps K and V in half precision and rounds Q (and below, the attention weights)
                // to it for the products with them: doing the same keeps greedy outputs token-identical.
                VectorOps.roundToHalf(q[t], 0, q[t].length);
                VectorOps.roundToHalf(k[t], 0, config.kvDim());
                VectorOps.roundToHalf(v[t], 0, config.kvDim());
                for (int h = 0; h < config.kvHeads(); h++) {
                    cache.append(layer, h, positions[t], k[t], h * config.headDim(), v[t], h * config.headDim());
                }
            }
            if (layer == config.layers() - 1 && !computeLogits && attentionObserver == null
                    && hiddenStateObserver == null) {
                return null; // observers see every layer, so only an unobserved pass may stop here
            }
            pool.run(attentionRegion);
            for (int t = 0; t < count; t++) {
                quantizedDim[t].quantize(attention[t], 0, config.heads() * config.headDim());
            }
            pool.run(outputProjectionRegion);
            for (int t = 0; t < count; t++) {
                VectorOps.add(xb2[t], 0, x[t], 0, config.dim());
            }
            if (hiddenStateObserver != null) {
                for (int t = 0; t < count; t++) {
                    hiddenStateObserver.afterAttention(layer, positions[t], x[t], config.dim());
                }
            }

            // Feed-forward: norm, gate and up projections, silu(gate) * up, down projection.
            for (int t = 0; t < count; t++) {
                VectorOps.rmsNorm(xb[t], 0, x[t], 0, w.ffnNorm(), config.dim(), config.rmsEps());
                quantizedDim[t].quantize(xb[t], 0, config.dim());
            }
            pool.run(gateUpRegion);
            for (int t = 0; t < count; t++) {
                quantizedFfn[t].quantize(gate[t], 0, config.ffnDim());
            }
            pool.run(downRegion);
            for (int t = 0; t < count; t++) {
                VectorOps.add(xb2[t], 0, x[t], 0, config.dim());
            }
        }
        if (!computeLogits) {
            return null;
        }
        int last = count - 1;
        VectorOps.rmsNorm(xb[0], 0, x[last], 0, weights.outputNorm(), config.dim(), config.rmsEps());
        quantizedDim[0].quantize(xb[0], 0, config.dim());
        pool.run(logitsRegion);
        return logits;
    }

    private static void addBias(float[] values, float[] bias) {
        if (bias != null) {
            VectorOps.add(bias, 0, values, 0, bias.length);
        }
    }

    // ---- parallel regions: member `thread` of `threads` takes its share ----

    private void qkv(int thread, int threads) {
        LlamaWeights.Layer w = weights.layers()[layer];
        projectShare(w.wq(), xb, quantizedDim, q, thread, threads);
        projectShare(w.wk(), xb, quantizedDim, k, thread, threads);
        projectShare(w.wv(), xb, quantizedDim, v, thread, threads);
    }

    private void outputProjection(int thread, int threads) {
        projectShare(weights.layers()[layer].wo(), attention, quantizedDim, xb2, thread, threads);
    }

    private void gateUp(int thread, int threads) {
        LlamaWeights.Layer w = weights.layers()[layer];
        int from = ThreadPool.rangeStart(config.ffnDim(), thread, threads);
        int to = ThreadPool.rangeStart(config.ffnDim(), thread + 1, threads);
        project(w.ffnGate(), xb, quantizedDim, gate, from, to);
        project(w.ffnUp(), xb, quantizedDim, up, from, to);
        for (int t = 0; t < tokens; t++) {
            VectorOps.swiGlu(gate[t], up[t], from, to);
        }
    }

    private void down(int thread, int threads) {
        projectShare(weights.layers()[layer].ffnDown(), gate, quantizedFfn, xb2, thread, threads);
    }

    private void logits(int thread, int threads) {
        WeightTensor output = weights.output();
        int rows = config.vocabSize();
        int from = ThreadPool.rangeStart(rows, thread, threads);
        int to = ThreadPool.rangeStart(rows, thread + 1, threads);
        if (output.supportsQ8()) {
            output.matmulQ8(quantizedDim[0], logits, from, to);
        } else {
            output.matmul(xb[0], logits, from, to);
        }
    }

    /** Member {@code thread}'s contiguous share of the rows of {@code w}. */
    private void projectShare(WeightTensor w, float[][] input, Q8Activations[] quantized, float[][] out,
                              int thread, int threads) {
        int rows = (int) w.rows();
        project(w, input, quantized, out, ThreadPool.rangeStart(rows, thread, threads),
                ThreadPool.rangeStart(rows, thread + 1, threads));
    }

    /** out[t][from..to) = W[from..to) · input[t] for every token of the batch. */
    private void project(WeightTensor w, float[][] input, Q8Activations[] quantized, float[][] out,
                         int from, int to) {
        if (from >= to) {
            return;
        }
        if (!w.supportsQ8()) {
            for (int t = 0; t < tokens; t++) {
                w.matmul(input[t], out[t], from, to);
            }
        } else if (tokens == 1) {
            w.matmulQ8(quantized[0], out[0], from, to);
        } else {
            w.matmulQ8Batch(quantized, tokens, out, from, to);
        }
    }

    /**
     * Causal attention of every (token, query head) of the batch over the cache. Token t of the batch sees the
     * entries that were in the cache before the batch plus the batch's first t + 1 tokens: entries are in
     * position order, so that is a prefix of each head's list, whatever the head's length after compression.
     * Query heads share KV heads in groups (GQA); the cache computes the products where its entries lie.
     */
    private void attend(int thread, int threads) {
        // Work items are (KV head, run of its queries): the queries of a KV head are the (token, query head)
        // pairs of its GQA group, token-major, so one item shares each key and value it reads among up to
        // MAX_GROUP queries. Each KV head is cut into at least 2 * threads / kvHeads runs (never more than it
        // has queries), so that for the usual head counts every member has work even for one token.
        int group = config.queriesPerKvHead();
        int queriesPerKvHead = tokens * group;
        int runs = Math.max(Math.ceilDiv(2 * threads, config.kvHeads()), Math.ceilDiv(queriesPerKvHead, MAX_GROUP));
        runs = Math.min(runs, queriesPerKvHead);
        int items = config.kvHeads() * runs;
        int from = ThreadPool.rangeStart(items, thread, threads);
        int to = ThreadPool.rangeStart(items, thread + 1, threads);
        int headDim = config.headDim();
        float[][] rows = scores[thread];
        float[][] queries = queryRows[thread];
        int[] offsets = queryOffsets[thread];
        int[] sees = visible[thread];
        float[][] outputs = outputRows[thread];
        AttentionObserver observer = attentionObserver;
        for (int item = from; item < to; item++) {
            int kvHead = item / runs;
            int run = item % runs;
            int first = ThreadPool.rangeStart(queriesPerKvHead, run, runs);
            int count = ThreadPool.rangeStart(queriesPerKvHead, run + 1, runs) - first;
            int length = cache.length(layer, kvHead);
            for (int j = 0; j < count; j++) {
                int t = (first + j) / group;
                int head = kvHead * group + (first + j) % group;
                queries[j] = q[t];
                offsets[j] = head * headDim;
                sees[j] = length - tokens + t + 1;
                outputs[j] = attention[t];
            }
            cache.scores(layer, kvHead, queries, offsets, count, attentionScale, sees, rows);
            for (int j = 0; j < count; j++) {
                VectorOps.softmax(rows[j], 0, sees[j]);
                if (observer != null) {
                    int t = (first + j) / group;
                    observer.attention(thread, layer, positions[t], offsets[j] / headDim, kvHead, rows[j], sees[j]);
                }
                VectorOps.roundToHalf(rows[j], 0, sees[j]);
            }
            cache.weightedValues(layer, kvHead, rows, sees, count, outputs, offsets);
        }
    }

}
