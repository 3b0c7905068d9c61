package io.kvsqueeze.engine.kv;

import io.kvsqueeze.engine.cpu.VectorOps;
import java.util.Arrays;

/**
 * The simple cache: per head one F32 array of {@code capacity} entries, allocated up front. Obviously correct
 * and kept as the oracle the paged store is tested against; it computes attention exactly as the paged store
 * does (same dot product and axpy kernels, same order), so the two give bit-identical logits.
 */
public final class DenseKvCache implements KvCache {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final float[][] keys;       // [layer * kvHeads + kvHead][capacity * headDim]
    private final float[][] values;     // [layer * kvHeads + kvHead][capacity * headDim]
    private final int[][] positions;    // [layer * kvHeads + kvHead][capacity]
    private final int[] lengths;        // [layer * kvHeads + kvHead]

    public DenseKvCache(int layers, int kvHeads, int headDim, int capacity) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.capacity = capacity;
        int heads = layers * kvHeads;
        this.keys = new float[heads][capacity * headDim];
        this.values = new float[heads][capacity * headDim];
        this.positions = new int[heads][capacity];
        this.lengths = new int[heads];
    }

    private int head(int layer, int kvHead) {
        return layer * kvHeads + kvHead;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int kvHeads() {
        return kvHeads;
    }

    @Override
    public int headDim() {
        return headDim;
    }

    @Override
    public KvElementType elementType() {
        return KvElementType.F32;
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int length(int layer, int kvHead) {
        return lengths[head(layer, kvHead)];
    }

    @Override
    public int position(int layer, int kvHead, int index) {
        int h = head(layer, kvHead);
        return positions[h][KvArguments.checkIndex(index, lengths[h])];
    }

    @Override
    public void append(int layer, int kvHead, int position, float[] key, int keyOffset, float[] value,
                       int valueOffset) {
        int h = head(layer, kvHead);
        int length = lengths[h];
        if (length == capacity) {
            throw new IllegalStateException("KV cache full: " + capacity + " entries per head (raise the context size)");
        }
        if (length > 0 && positions[h][length - 1] >= position) {
            throw new IllegalArgumentException("position " + position + " is not after the last cached position "
                    + positions[h][length - 1]);
        }
        System.arraycopy(key, keyOffset, keys[h], length * headDim, headDim);
        System.arraycopy(value, valueOffset, values[h], length * headDim, headDim);
        positions[h][length] = position;
        lengths[h] = length + 1;
    }

    @Override
    public void scores(int layer, int kvHead, float[] query, int queryOffset, float scale, int visible,
                       float[] out) {
        int h = head(layer, kvHead);
        KvArguments.checkVisible(visible, lengths[h]);
        float[] k = keys[h];
        for (int i = 0; i < visible; i++) {
            // the paged store's summation (an fma chain in dimension order), scalar: this is the oracle
            float acc = 0f;
            for (int d = 0; d < headDim; d++) {
                acc = Math.fma(query[queryOffset + d], k[i * headDim + d], acc);
            }
            out[i] = acc * scale;
        }
    }

    @Override
    public void weightedValues(int layer, int kvHead, float[] probabilities, int visible, float[] out,
                               int outOffset) {
        int h = head(layer, kvHead);
        KvArguments.checkVisible(visible, lengths[h]);
        float[] v = values[h];
        Arrays.fill(out, outOffset, outOffset + headDim, 0f);
        for (int i = 0; i < visible; i++) {
            VectorOps.axpy(probabilities[i], v, i * headDim, out, outOffset, headDim);
        }
    }

    @Override
    public void key(int layer, int kvHead, int index, float[] out, int offset) {
        int h = head(layer, kvHead);
        System.arraycopy(keys[h], KvArguments.checkIndex(index, lengths[h]) * headDim, out, offset, headDim);
    }

    @Override
    public void value(int layer, int kvHead, int index, float[] out, int offset) {
        int h = head(layer, kvHead);
        System.arraycopy(values[h], KvArguments.checkIndex(index, lengths[h]) * headDim, out, offset, headDim);
    }

    @Override
    public void retain(int layer, int kvHead, int[] keep, int count) {
        int h = head(layer, kvHead);
        KvArguments.checkKeep(keep, count, lengths[h]);
        for (int j = 0; j < count; j++) {
            int from = keep[j];
            if (from != j) { // j <= from: moving forward in ascending order never overwrites a kept entry
                System.arraycopy(keys[h], from * headDim, keys[h], j * headDim, headDim);
                System.arraycopy(values[h], from * headDim, values[h], j * headDim, headDim);
                positions[h][j] = positions[h][from];
            }
        }
        lengths[h] = count;
    }

    @Override
    public void truncate(int position) {
        for (int h = 0; h < lengths.length; h++) {
            lengths[h] = KvArguments.firstAtOrAfter(positions[h], lengths[h], position);
        }
    }

    @Override
    public void clear() {
        Arrays.fill(lengths, 0);
    }

    @Override
    public long bytes() {
        long entries = 0;
        for (int length : lengths) {
            entries += length;
        }
        return entries * headDim * 2L * Float.BYTES;
    }

    @Override
    public long slackBytes() {
        return (long) lengths.length * capacity * headDim * 2L * Float.BYTES - bytes();
    }
}
