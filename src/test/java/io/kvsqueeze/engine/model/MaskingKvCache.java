package io.kvsqueeze.engine.model;

import io.kvsqueeze.engine.kv.KvCache;
import io.kvsqueeze.engine.kv.KvElementType;
import java.util.HashSet;
import java.util.Set;

/**
 * The oracle for compression: an uncompressed cache whose attention scores are -inf on the masked (layer,
 * KV head, position) entries, so they get probability zero, which is what evicting them should amount to.
 */
final class MaskingKvCache implements KvCache {
    private final KvCache cache;
    private final Set<Long> masked = new HashSet<>();

    MaskingKvCache(KvCache cache) {
        this.cache = cache;
    }

    private static long key(int layer, int kvHead, int position) {
        return ((long) layer << 48) | ((long) kvHead << 32) | position;
    }

    void mask(int layer, int kvHead, int position) {
        masked.add(key(layer, kvHead, position));
    }

    int maskedCount() {
        return masked.size();
    }

    @Override
    public void scores(int layer, int kvHead, float[] query, int queryOffset, float scale, int visible,
                       float[] out) {
        cache.scores(layer, kvHead, query, queryOffset, scale, visible, out);
        for (int i = 0; i < visible; i++) {
            if (masked.contains(key(layer, kvHead, cache.position(layer, kvHead, i)))) {
                out[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    // ---- everything else as the wrapped cache ----

    @Override
    public int layers() {
        return cache.layers();
    }

    @Override
    public int kvHeads() {
        return cache.kvHeads();
    }

    @Override
    public int headDim() {
        return cache.headDim();
    }

    @Override
    public KvElementType elementType() {
        return cache.elementType();
    }

    @Override
    public int capacity() {
        return cache.capacity();
    }

    @Override
    public int length(int layer, int kvHead) {
        return cache.length(layer, kvHead);
    }

    @Override
    public int position(int layer, int kvHead, int index) {
        return cache.position(layer, kvHead, index);
    }

    @Override
    public void append(int layer, int kvHead, int position, float[] key, int keyOffset, float[] value,
                       int valueOffset) {
        cache.append(layer, kvHead, position, key, keyOffset, value, valueOffset);
    }

    @Override
    public void weightedValues(int layer, int kvHead, float[] probabilities, int visible, float[] out,
                               int outOffset) {
        cache.weightedValues(layer, kvHead, probabilities, visible, out, outOffset);
    }

    @Override
    public void key(int layer, int kvHead, int index, float[] out, int offset) {
        cache.key(layer, kvHead, index, out, offset);
    }

    @Override
    public void value(int layer, int kvHead, int index, float[] out, int offset) {
        cache.value(layer, kvHead, index, out, offset);
    }

    @Override
    public void retain(int layer, int kvHead, int[] keep, int count) {
        throw new UnsupportedOperationException("the masking oracle masks instead of dropping");
    }

    @Override
    public void truncate(int position) {
        cache.truncate(position);
    }

    @Override
    public void clear() {
        cache.clear();
    }

    @Override
    public long bytes() {
        return cache.bytes();
    }

    @Override
    public long slackBytes() {
        return cache.slackBytes();
    }
}
