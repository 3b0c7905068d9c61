package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.cpu.ThreadPool;
import io.kvsqueeze.engine.cpu.VectorOps;
import io.kvsqueeze.engine.kv.AttentionObserver;
import io.kvsqueeze.engine.kv.HiddenStateObserver;
import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.tensor.Q8Activations;
import io.kvsqueeze.engine.tensor.WeightTensor;

/**
 * The transformer forward pass over a batch of rows that may belong to several sequences: each sequence
 * ({@link ForwardPass}: its KV cache, observers and logits) contributes a segment of consecutive tokens, a
 * prompt chunk (prefill) or one token (decode). Every matrix multiplies all rows of the batch at once, so the
 * decode steps of many sequences share one pass over the weights; attention is per segment, over that
 * sequence's own cache. It reads top-down like llama2.c: embed, then per layer attention and SwiGLU
 * feed-forward with RMSNorm and residuals, then the final norm and the logits of each segment's last token.
 *
 * <p>All buffers are allocated once, here, for {@code rowCapacity} rows; a run allocates nothing. Matrix
 * products run on the {@link ThreadPool}, each member taking a contiguous share of the output rows; the small
 * vector work (norms, RoPE, residuals) runs on the calling thread. Activations are quantized to 8 bits once
 * per matrix input so the quantized weights are multiplied with integer dot products, as ggml does. A row's
 * results do not depend on the other rows of its batch: the kernels compute each row, and each query of
 * attention, with the same operations in the same order whatever it is batched with.
 *
 * <p>One run at a time: the thread team is not reentrant.
 */
public final class Transformer {
    /** Most queries of one KV head handled as one attention work item (bounds the score buffers). */
    private static final int MAX_GROUP = 24;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final ThreadPool pool;
    private final Rope rope;
    private final int rowCapacity;
    private final int attentionCapacity;
    private final float attentionScale;

    // Activations of the current batch: [row][features].
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
    private final float[][][] scores;       // [thread][query][entry] scores, then probabilities
    private final float[][][] queryRows;    // [thread][query] -> q[row] of the query's token
    private final int[][] queryOffsets;     // [thread][query] -> head * headDim
    private final int[][] visible;          // [thread][query] entries the query sees
    private final float[][][] outputRows;   // [thread][query] -> attention[row]

    // The batch being run, set before the layer loop and read by every member.
    private final ForwardPass[] segmentPass;
    private final int[] segmentFirstRow;
    private final int[] segmentRows;
    private final boolean[] segmentLogits;
    private final int[] segmentRuns;        // attention runs per KV head of the segment
    private final int[] segmentFirstItem;   // first attention work item of the segment
    private final float[][] logitRows;      // [i] -> logits of the i-th segment that wants them
    private final int[] rowSegment;
    private final int[] positions;
    private int segments;
    private int rows;
    private int attentionItems;
    private int logitSegments;
    private int layer;

    private final ThreadPool.Task qkvRegion = this::qkv;
    private final ThreadPool.Task attentionRegion = this::attend;
    private final ThreadPool.Task outputProjectionRegion = this::outputProjection;
    private final ThreadPool.Task gateUpRegion = this::gateUp;
    private final ThreadPool.Task downRegion = this::down;
    private final ThreadPool.Task logitsRegion = this::logits;

    /**
     * @param rowCapacity       most rows (tokens of all segments together) of one run
     * @param attentionCapacity most cache entries one query can see (the caches' capacity)
     */
    public Transformer(LlamaModel model, ThreadPool pool, Rope rope, int rowCapacity, int attentionCapacity) {
        if (rowCapacity < 1 || attentionCapacity < 1) {
            throw new IllegalArgumentException("rowCapacity " + rowCapacity + " and attentionCapacity "
                    + attentionCapacity + " must be positive");
        }
        this.config = model.config();
        this.weights = model.weights();
        this.pool = pool;
        this.rope = rope;
        this.rowCapacity = rowCapacity;
        this.attentionCapacity = attentionCapacity;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDim()));
        int qDim = config.heads() * config.headDim();
        this.x = new float[rowCapacity][config.dim()];
        this.xb = new float[rowCapacity][config.dim()];
        this.q = new float[rowCapacity][qDim];
        this.k = new float[rowCapacity][config.kvDim()];
        this.v = new float[rowCapacity][config.kvDim()];
        this.attention = new float[rowCapacity][qDim];
        this.xb2 = new float[rowCapacity][config.dim()];
        this.gate = new float[rowCapacity][config.ffnDim()];
        this.up = new float[rowCapacity][config.ffnDim()];
        this.quantizedDim = new Q8Activations[rowCapacity];
        this.quantizedFfn = new Q8Activations[rowCapacity];
        for (int t = 0; t < rowCapacity; t++) {
            quantizedDim[t] = new Q8Activations(Math.max(config.dim(), qDim));
            quantizedFfn[t] = new Q8Activations(config.ffnDim());
        }
        int threads = pool.threads();
        this.scores = new float[threads][MAX_GROUP][attentionCapacity];
        this.queryRows = new float[threads][MAX_GROUP][];
        this.queryOffsets = new int[threads][MAX_GROUP];
        this.visible = new int[threads][MAX_GROUP];
        this.outputRows = new float[threads][MAX_GROUP][];
        this.segmentPass = new ForwardPass[rowCapacity];
        this.segmentFirstRow = new int[rowCapacity];
        this.segmentRows = new int[rowCapacity];
        this.segmentLogits = new boolean[rowCapacity];
        this.segmentRuns = new int[rowCapacity];
        this.segmentFirstItem = new int[rowCapacity];
        this.logitRows = new float[rowCapacity][];
        this.rowSegment = new int[rowCapacity];
        this.positions = new int[rowCapacity];
    }

    public LlamaConfig config() {
        return config;
    }

    /** Most rows of one run. */
    public int rowCapacity() {
        return rowCapacity;
    }

    /** Most cache entries a query can attend to. */
    public int attentionCapacity() {
        return attentionCapacity;
    }

    /** Members of the thread team, the bound of the {@code thread} argument an {@link AttentionObserver} gets. */
    public int threads() {
        return pool.threads();
    }

    /** Starts a new batch, forgetting the segments of the last one. */
    public void clear() {
        segments = 0;
        rows = 0;
    }

    /** Rows the current batch has so far. */
    public int rows() {
        return rows;
    }

    /**
     * Adds a segment: {@code count} tokens of {@code pass}'s sequence at consecutive positions from {@code
     * startPosition}, whose keys and values are appended to its cache. With {@code computeLogits}, the logits of
     * the last of them end up in {@link ForwardPass#logits()}. A sequence has at most one segment per batch.
     */
    public void add(ForwardPass pass, int[] tokenIds, int from, int count, int startPosition, boolean computeLogits) {
        if (count < 1 || count > pass.batchCapacity() || rows + count > rowCapacity) {
            throw new IllegalArgumentException("segment of " + count + " tokens: the sequence takes up to "
                    + pass.batchCapacity() + " per pass and the batch has " + (rowCapacity - rows) + " rows left");
        }
        if (pass.transformer() != this || pass.cache().capacity() > attentionCapacity) {
            throw new IllegalArgumentException("the sequence's pass belongs to another transformer");
        }
        for (int s = 0; s < segments; s++) {
            if (segmentPass[s] == pass) {
                throw new IllegalArgumentException("a sequence can have one segment per batch");
            }
        }
        for (int t = 0; t < count; t++) {
            int id = tokenIds[from + t];
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + config.vocabSize());
            }
        }
        for (int t = 0; t < count; t++) {
            weights.tokenEmbedding().dequantizeRow(tokenIds[from + t], x[rows + t], 0);
            positions[rows + t] = startPosition + t;
            rowSegment[rows + t] = segments;
        }
        segmentPass[segments] = pass;
        segmentFirstRow[segments] = rows;
        segmentRows[segments] = count;
        segmentLogits[segments] = computeLogits;
        segments++;
        rows += count;
    }

    /**
     * Runs the batch. Each segment's keys and values are appended to its cache; the segments that asked for
     * logits find them in their pass's {@link ForwardPass#logits()}. On failure (e.g. the KV pool ran out) the
     * caches may hold part of the batch: callers cut them back.
     */
    public void run() {
        if (rows == 0) {
            return;
        }
        planAttention();
        boolean observed = false;
        logitSegments = 0;
        for (int s = 0; s < segments; s++) {
            observed |= segmentPass[s].attentionObserver() != null || segmentPass[s].hiddenStateObserver() != null;
            if (segmentLogits[s]) {
                logitRows[logitSegments++] = segmentPass[s].logits();
            }
        }

        for (layer = 0; layer < config.layers(); layer++) {
            LlamaWeights.Layer w = weights.layers()[layer];
            for (int t = 0; t < rows; t++) {
                HiddenStateObserver observer = segmentPass[rowSegment[t]].hiddenStateObserver();
                if (observer != null) {
                    observer.layerInput(layer, positions[t], x[t], config.dim());
                }
            }

            // Attention: norm, Q/K/V projections, RoPE at the tokens' positions, append K/V, attend, project.
            for (int t = 0; t < rows; t++) {
                VectorOps.rmsNorm(xb[t], 0, x[t], 0, w.attentionNorm(), config.dim(), config.rmsEps());
                quantizedDim[t].quantize(xb[t], 0, config.dim());
            }
            pool.run(qkvRegion);
            for (int t = 0; t < rows; t++) {
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
                KvCache cache = segmentPass[rowSegment[t]].cache();
                for (int h = 0; h < config.kvHeads(); h++) {
                    cache.append(layer, h, positions[t], k[t], h * config.headDim(), v[t], h * config.headDim());
                }
            }
            if (layer == config.layers() - 1 && logitSegments == 0 && !observed) {
                return; // observers see every layer, so only an unobserved pass may stop here
            }
            pool.run(attentionRegion);
            for (int t = 0; t < rows; t++) {
                quantizedDim[t].quantize(attention[t], 0, config.heads() * config.headDim());
            }
            pool.run(outputProjectionRegion);
            for (int t = 0; t < rows; t++) {
                VectorOps.add(xb2[t], 0, x[t], 0, config.dim());
            }
            for (int t = 0; t < rows; t++) {
                HiddenStateObserver observer = segmentPass[rowSegment[t]].hiddenStateObserver();
                if (observer != null) {
                    observer.afterAttention(layer, positions[t], x[t], config.dim());
                }
            }

            // Feed-forward: norm, gate and up projections, silu(gate) * up, down projection.
            for (int t = 0; t < rows; t++) {
                VectorOps.rmsNorm(xb[t], 0, x[t], 0, w.ffnNorm(), config.dim(), config.rmsEps());
                quantizedDim[t].quantize(xb[t], 0, config.dim());
            }
            pool.run(gateUpRegion);
            for (int t = 0; t < rows; t++) {
                quantizedFfn[t].quantize(gate[t], 0, config.ffnDim());
            }
            pool.run(downRegion);
            for (int t = 0; t < rows; t++) {
                VectorOps.add(xb2[t], 0, x[t], 0, config.dim());
            }
        }

        // Final norm and logits of each segment's last token, batched into rows [0, logitSegments) of xb.
        int i = 0;
        for (int s = 0; s < segments; s++) {
            if (segmentLogits[s]) {
                int last = segmentFirstRow[s] + segmentRows[s] - 1;
                VectorOps.rmsNorm(xb[i], 0, x[last], 0, weights.outputNorm(), config.dim(), config.rmsEps());
                quantizedDim[i].quantize(xb[i], 0, config.dim());
                i++;
            }
        }
        if (logitSegments > 0) {
            pool.run(logitsRegion);
        }
    }

    /**
     * Cuts attention into work items: (segment, KV head, run of its queries). The queries of a KV head are the
     * (token, query head) pairs of its GQA group, token-major, so one item shares each key and value it reads
     * among up to MAX_GROUP queries. A lone segment's KV heads are cut into at least 2 * threads / kvHeads runs
     * (never more than it has queries), so that every member has work even for one token.
     */
    private void planAttention() {
        int group = config.queriesPerKvHead();
        int threads = pool.threads();
        int items = 0;
        for (int s = 0; s < segments; s++) {
            int queries = segmentRows[s] * group;
            int runs = Math.ceilDiv(queries, MAX_GROUP);
            if (segments == 1) {
                runs = Math.max(runs, Math.ceilDiv(2 * threads, config.kvHeads()));
            }
            segmentRuns[s] = Math.min(runs, queries);
            segmentFirstItem[s] = items;
            items += config.kvHeads() * segmentRuns[s];
        }
        attentionItems = items;
    }

    private static void addBias(float[] values, float[] bias) {
        if (bias != null) {
            VectorOps.add(bias, 0, values, 0, bias.length);
        }
    }

    // ---- parallel regions: member `thread` of `threads` takes its share ----

    private void qkv(int thread, int threads) {
        LlamaWeights.Layer w = weights.layers()[layer];
        projectShare(w.wq(), xb, quantizedDim, q, rows, thread, threads);
        projectShare(w.wk(), xb, quantizedDim, k, rows, thread, threads);
        projectShare(w.wv(), xb, quantizedDim, v, rows, thread, threads);
    }

    private void outputProjection(int thread, int threads) {
        projectShare(weights.layers()[layer].wo(), attention, quantizedDim, xb2, rows, thread, threads);
    }

    private void gateUp(int thread, int threads) {
        LlamaWeights.Layer w = weights.layers()[layer];
        int from = ThreadPool.rangeStart(config.ffnDim(), thread, threads);
        int to = ThreadPool.rangeStart(config.ffnDim(), thread + 1, threads);
        project(w.ffnGate(), xb, quantizedDim, gate, rows, from, to);
        project(w.ffnUp(), xb, quantizedDim, up, rows, from, to);
        for (int t = 0; t < rows; t++) {
            VectorOps.swiGlu(gate[t], up[t], from, to);
        }
    }

    private void down(int thread, int threads) {
        projectShare(weights.layers()[layer].ffnDown(), gate, quantizedFfn, xb2, rows, thread, threads);
    }

    private void logits(int thread, int threads) {
        projectShare(weights.output(), xb, quantizedDim, logitRows, logitSegments, thread, threads);
    }

    /** Member {@code thread}'s contiguous share of the rows of {@code w}. */
    private static void projectShare(WeightTensor w, float[][] input, Q8Activations[] quantized, float[][] out,
                                     int tokens, int thread, int threads) {
        int rows = (int) w.rows();
        project(w, input, quantized, out, tokens, ThreadPool.rangeStart(rows, thread, threads),
                ThreadPool.rangeStart(rows, thread + 1, threads));
    }

    /** out[t][from..to) = W[from..to) · input[t] for the first {@code tokens} rows of the batch. */
    private static void project(WeightTensor w, float[][] input, Q8Activations[] quantized, float[][] out,
                                int tokens, int from, int to) {
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
     * Causal attention of every (row, query head) of the batch over its sequence's cache. Row t of a segment
     * sees the entries that were in the cache before the batch plus the segment's first t + 1 tokens: entries
     * are in position order, so that is a prefix of each head's list, whatever the head's length after
     * compression. Query heads share KV heads in groups (GQA); the cache computes the products where its
     * entries lie.
     */
    private void attend(int thread, int threads) {
        int from = ThreadPool.rangeStart(attentionItems, thread, threads);
        int to = ThreadPool.rangeStart(attentionItems, thread + 1, threads);
        int group = config.queriesPerKvHead();
        int headDim = config.headDim();
        float[][] rowScores = scores[thread];
        float[][] queries = queryRows[thread];
        int[] offsets = queryOffsets[thread];
        int[] sees = visible[thread];
        float[][] outputs = outputRows[thread];
        int s = 0;
        for (int item = from; item < to; item++) {
            while (item >= segmentFirstItem[s] + config.kvHeads() * segmentRuns[s]) {
                s++;
            }
            ForwardPass pass = segmentPass[s];
            KvCache cache = pass.cache();
            AttentionObserver observer = pass.attentionObserver();
            int runs = segmentRuns[s];
            int firstRow = segmentFirstRow[s];
            int segmentTokens = segmentRows[s];
            int queriesPerKvHead = segmentTokens * group;
            int kvHead = (item - segmentFirstItem[s]) / runs;
            int run = (item - segmentFirstItem[s]) % runs;
            int first = ThreadPool.rangeStart(queriesPerKvHead, run, runs);
            int count = ThreadPool.rangeStart(queriesPerKvHead, run + 1, runs) - first;
            int length = cache.length(layer, kvHead);
            for (int j = 0; j < count; j++) {
                int t = (first + j) / group;
                int head = kvHead * group + (first + j) % group;
                queries[j] = q[firstRow + t];
                offsets[j] = head * headDim;
                sees[j] = length - segmentTokens + t + 1;
                outputs[j] = attention[firstRow + t];
            }
            cache.scores(layer, kvHead, queries, offsets, count, attentionScale, sees, rowScores);
            for (int j = 0; j < count; j++) {
                VectorOps.softmax(rowScores[j], 0, sees[j]);
                if (observer != null) {
                    int t = (first + j) / group;
                    observer.attention(thread, layer, positions[firstRow + t], offsets[j] / headDim, kvHead,
                            rowScores[j], sees[j]);
                }
                VectorOps.roundToHalf(rowScores[j], 0, sees[j]);
            }
            cache.weightedValues(layer, kvHead, rowScores, sees, count, outputs, offsets);
        }
    }
}
