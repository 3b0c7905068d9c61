package io.kvsqueeze.engine.kv;

/** The uncompressed cache: every position of every head, F32, allocated once for its capacity. */
public final class DenseKvCache implements KvCache {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private final int[][] positions;
    private final int[] lengths;

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
    public int capacity() {
        return capacity;
    }

    @Override
    public int length(int layer, int kvHead) {
        return lengths[head(layer, kvHead)];
    }

    @Override
    public int position(int layer, int kvHead, int index) {
        return positions[head(layer, kvHead)][index];
    }

    @Override
    public float[] keys(int layer, int kvHead) {
        return keys[head(layer, kvHead)];
    }

    @Override
    public float[] values(int layer, int kvHead) {
        return values[head(layer, kvHead)];
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
    public void truncate(int position) {
        for (int h = 0; h < lengths.length; h++) {
            int length = lengths[h];
            while (length > 0 && positions[h][length - 1] >= position) {
                length--;
            }
            lengths[h] = length;
        }
    }

    @Override
    public long bytes() {
        long entries = 0;
        for (int length : lengths) {
            entries += length;
        }
        return entries * headDim * 2L * Float.BYTES;
    }
}
