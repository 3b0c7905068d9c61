package io.kvsqueeze.engine.kv;

/**
 * The keys and values attention reads, stored per (layer, KV head) as variable-length lists of entries, each
 * with its logical token position. Entries of one head are in ascending position order. A dense cache holds
 * every position; a compressed one (the compression issue) holds a different subset per head, which is why
 * the length and the positions are asked per head and never assumed equal to the token count.
 *
 * <p>Entry {@code i} of a head occupies {@code [i * headDim, (i + 1) * headDim)} of {@link #keys} and
 * {@link #values}; the arrays may be longer than {@code length * headDim}. Keys are stored after RoPE.
 */
public interface KvCache {

    int layers();

    int kvHeads();

    int headDim();

    /** Largest number of entries one head can hold. */
    int capacity();

    int length(int layer, int kvHead);

    int position(int layer, int kvHead, int index);

    float[] keys(int layer, int kvHead);

    float[] values(int layer, int kvHead);

    /** Appends one entry at {@code position}, which must be greater than every position already in the head. */
    void append(int layer, int kvHead, int position, float[] key, int keyOffset, float[] value, int valueOffset);

    /** Drops every entry at or after {@code position} in all heads (a new turn that rewrites the tail). */
    void truncate(int position);

    /** Bytes of K and V held by kept entries: the sum over heads of length x headDim x 2 x element size. */
    long bytes();
}
