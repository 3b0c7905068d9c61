package io.kvsqueeze.engine.kv;

/**
 * Sees the attention probabilities of every (token, query head) the forward pass computes, for compression
 * methods that score cache entries by the attention they receive (SnapKV's observation window, H2O's column
 * sums, KV-Compress's squared sums). Off unless set on the forward pass.
 *
 * <p>Called from the attention region, concurrently on the members of the thread team: {@code thread} (in
 * {@code [0, threads)} of the pool that runs the pass) says which member calls, so an observer keeps one
 * accumulator per thread and reduces them after the forward call returns. Within one thread the calls for a
 * layer come in increasing (token, query head) order, but which items a thread gets depends on the thread
 * count. The observer must not allocate, block, keep {@code probabilities} or change it.
 */
@FunctionalInterface
public interface AttentionObserver {

    /**
     * @param thread        the calling member of the thread team
     * @param layer         the layer
     * @param position      logical position of the query's token
     * @param queryHead     the query head, in {@code [0, heads)}
     * @param kvHead        the KV head it reads, {@code queryHead / (heads / kvHeads)}
     * @param probabilities softmax probabilities in F32, before they are rounded to half for the value product;
     *                      {@code probabilities[i]} is for entry {@code i} of the KV head, whose position is
     *                      {@code cache.position(layer, kvHead, i)}
     * @param visible       entries the query sees: the length of {@code probabilities} that is valid
     */
    void attention(int thread, int layer, int position, int queryHead, int kvHead, float[] probabilities,
                   int visible);
}
