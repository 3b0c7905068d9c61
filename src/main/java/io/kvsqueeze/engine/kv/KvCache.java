package io.kvsqueeze.engine.kv;

/**
 * The keys and values attention reads, stored per (layer, KV head) as variable-length lists of entries, each
 * with its logical token position. A dense cache holds every position; a compressed one holds a different
 * subset per head, which is why the length and the positions are asked per head and never assumed equal to the
 * token count. Keys are stored after RoPE at their logical position, so dropping entries never re-rotates the
 * others (new tokens still get their logical position, not their index in the list).
 *
 * <p>Entries of a head are in ascending position order. Attention relies on it: in a batch of {@code n} tokens
 * just appended, batch token {@code t} sees the first {@code length - n + t + 1} entries of each head. Entries
 * are only removed ({@link #retain}, {@link #truncate}) between forward passes, which keeps that rule true.
 *
 * <p>The attention kernels live behind this interface because only the store knows its layout and element
 * type: {@link #scores} and {@link #weightedValues} read the entries where they lie, with no copy. GQA stays at
 * KV-head granularity: the query heads of a group call the kernels of their shared KV head.
 *
 * <p>Threads: the kernels and the read methods may run concurrently on several threads; the methods that
 * change the cache ({@link #append}, {@link #retain}, {@link #truncate}, {@link #clear}) must not overlap
 * with anything else on the same cache.
 */
public interface KvCache {

    int layers();

    int kvHeads();

    int headDim();

    KvElementType elementType();

    /**
     * Most entries one head can hold: bounds the entry count, not the positions (a compressed head holds fewer
     * entries than the sequence has tokens). Attention's score buffers are sized by it.
     */
    int capacity();

    /** Entries held by this head. */
    int length(int layer, int kvHead);

    /** Logical token position of entry {@code index} of this head. */
    int position(int layer, int kvHead, int index);

    /**
     * Appends one entry at {@code position}, which must be greater than every position already in the head.
     * If it fails (the head is full, the page pool is exhausted) the cache is unchanged.
     */
    void append(int layer, int kvHead, int position, float[] key, int keyOffset, float[] value, int valueOffset);

    /**
     * Attention scores of one query against the first {@code visible} entries of a head:
     * {@code out[i] = (query[queryOffset..+headDim) · key_i) * scale} for {@code i < visible}, the dot product
     * summed as a chain of fmas in dimension order from zero (every store gives the same bits).
     */
    void scores(int layer, int kvHead, float[] query, int queryOffset, float scale, int visible, float[] out);

    /**
     * {@link #scores(int, int, float[], int, float, int, float[]) scores} of {@code count} queries that read this
     * head (the query heads of a GQA group, for the tokens of a batch): query j is
     * {@code queries[j][queryOffsets[j]..+headDim)}, sees {@code visible[j]} entries and writes {@code out[j]}.
     * Each query's scores are the same bits as the one-query call gives; a store may share work between them.
     */
    default void scores(int layer, int kvHead, float[][] queries, int[] queryOffsets, int count, float scale,
                        int[] visible, float[][] out) {
        for (int j = 0; j < count; j++) {
            scores(layer, kvHead, queries[j], queryOffsets[j], scale, visible[j], out[j]);
        }
    }

    /**
     * {@link #weightedValues(int, int, float[], int, float[], int) weightedValues} of {@code count} queries of
     * this head, each bit-identical to the one-query call.
     */
    default void weightedValues(int layer, int kvHead, float[][] probabilities, int[] visible, int count,
                                float[][] out, int[] outOffsets) {
        for (int j = 0; j < count; j++) {
            weightedValues(layer, kvHead, probabilities[j], visible[j], out[j], outOffsets[j]);
        }
    }

    /**
     * The attention-weighted sum of the first {@code visible} values of a head, written (not added) to
     * {@code out[outOffset..+headDim)}: {@code Σ_i probabilities[i] * value_i}, summed in index order.
     */
    void weightedValues(int layer, int kvHead, float[] probabilities, int visible, float[] out, int outOffset);

    /** Copies the key of entry {@code index} into {@code out[offset..+headDim)}, as float. */
    void key(int layer, int kvHead, int index, float[] out, int offset);

    /** Copies the value of entry {@code index} into {@code out[offset..+headDim)}, as float. */
    void value(int layer, int kvHead, int index, float[] out, int offset);

    /**
     * Keeps only the entries {@code keep[0..count)} of this head (indices into the current list, strictly
     * ascending), compacting them to the front in place: each kept entry moves with its position, order is
     * preserved, storage no longer needed is released. Only this head's kept entries move; nothing else is
     * copied. Invalid arguments are rejected before anything changes.
     */
    void retain(int layer, int kvHead, int[] keep, int count);

    /** Drops every entry at or after {@code position} in all heads (a new turn that rewrites the tail). */
    void truncate(int position);

    /** Drops every entry of every head and releases their storage. */
    void clear();

    /**
     * Bytes of K and V held by kept entries, exactly: the sum over layers and heads of
     * length x headDim x 2 x element size. Positions and block tables are bookkeeping and not counted.
     */
    long bytes();

    /** Bytes the store holds for K and V beyond {@link #bytes()}: unused slots of allocated pages or arrays. */
    long slackBytes();
}
