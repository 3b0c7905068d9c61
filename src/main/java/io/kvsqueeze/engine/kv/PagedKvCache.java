package io.kvsqueeze.engine.kv;

import io.kvsqueeze.engine.cpu.VectorOps;
import java.util.Arrays;

/**
 * The KV store: per (layer, KV head) a block table of fixed-size pages from a {@link KvPagePool}, in F32 or F16.
 * Entry {@code i} of a head lies in slot {@code i % pageSize} of page {@code blockTable[i / pageSize]}, with its
 * logical position beside it. A head holds exactly {@code ceil(length / pageSize)} pages: appending allocates a
 * page when the last one is full, and {@link #retain} / {@link #truncate} return the pages they empty.
 *
 * <p>Appending writes one entry; nothing is ever copied per decode step (unlike a flattened per-layer layout,
 * which reallocates the layer to grow each head segment). {@link #retain} moves only the kept entries of one
 * head towards the front of that head, in order. Heads have independent lengths, so a compressed cache keeps a
 * different number of entries per head, and memory follows: {@link #bytes()} is exact, and the unused slots of
 * each head's last page are the only slack (at most {@code pageSize - 1} entries per head).
 *
 * <p>F16 halves the memory. The forward pass rounds K and V to half precision before appending them (as
 * llama.cpp, whose cache is F16, does), so F16 and F32 storage hold the same values and give bit-identical
 * attention; the kernels widen halves to float in registers.
 */
public final class PagedKvCache implements KvCache {
    /** Entries per page unless told otherwise: 4 KiB pages for F16 and headDim 64. */
    public static final int DEFAULT_PAGE_SIZE = 16;

    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int capacity;
    private final KvPagePool pool;
    private final boolean half;
    private final int pageSize;
    private final int pageShift;
    private final int pageMask;
    private final int[][] blockTables;  // [layer * kvHeads + kvHead][ceil(capacity / pageSize)] page ids
    private final int[] lengths;        // [layer * kvHeads + kvHead]

    /** An empty cache of up to {@code capacity} entries per head whose pages come from {@code pool}. */
    public PagedKvCache(int layers, int kvHeads, int capacity, KvPagePool pool) {
        if (layers < 1 || kvHeads < 1 || capacity < 1) {
            throw new IllegalArgumentException("layers " + layers + ", kvHeads " + kvHeads + " and capacity "
                    + capacity + " must be positive");
        }
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = pool.headDim();
        this.capacity = capacity;
        this.pool = pool;
        this.half = pool.elementType() == KvElementType.F16;
        this.pageSize = pool.pageSize();
        this.pageShift = Integer.numberOfTrailingZeros(pageSize);
        this.pageMask = pageSize - 1;
        this.blockTables = new int[layers * kvHeads][(capacity + pageSize - 1) / pageSize];
        this.lengths = new int[layers * kvHeads];
    }

    /** A cache with its own pool, just large enough for every head to reach {@code capacity} entries. */
    public static PagedKvCache create(KvElementType elementType, int layers, int kvHeads, int headDim,
                                      int capacity) {
        return new PagedKvCache(layers, kvHeads, capacity,
                KvPagePool.forHeads(elementType, headDim, DEFAULT_PAGE_SIZE, layers * kvHeads, capacity));
    }

    public KvPagePool pool() {
        return pool;
    }

    /** Entries per page. */
    public int pageSize() {
        return pageSize;
    }

    /** Pages this cache holds now. */
    public int pages() {
        int pages = 0;
        for (int length : lengths) {
            pages += pagesFor(length);
        }
        return pages;
    }

    private int head(int layer, int kvHead) {
        return layer * kvHeads + kvHead;
    }

    private int pagesFor(int entries) {
        return (entries + pageMask) >> pageShift;
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
        return pool.elementType();
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
        return positionAt(blockTables[h], KvArguments.checkIndex(index, lengths[h]));
    }

    private int positionAt(int[] table, int index) {
        return pool.positions(table[index >> pageShift])[index & pageMask];
    }

    @Override
    public void append(int layer, int kvHead, int position, float[] key, int keyOffset, float[] value,
                       int valueOffset) {
        int h = head(layer, kvHead);
        int length = lengths[h];
        int[] table = blockTables[h];
        if (length == capacity) {
            throw new IllegalStateException("KV cache full: " + capacity + " entries per head (raise the context size)");
        }
        if (length > 0 && positionAt(table, length - 1) >= position) {
            throw new IllegalArgumentException("position " + position + " is not after the last cached position "
                    + positionAt(table, length - 1));
        }
        int slot = length & pageMask;
        if (slot == 0) {
            table[length >> pageShift] = pool.allocate(); // throws before anything changed when exhausted
        }
        int page = table[length >> pageShift];
        int keyAt = slot * headDim;
        int valueAt = (pageSize + slot) * headDim;
        if (half) {
            short[] data = pool.halves(page);
            HalfKernels.toHalf(key, keyOffset, data, keyAt, headDim);
            HalfKernels.toHalf(value, valueOffset, data, valueAt, headDim);
        } else {
            float[] data = pool.floats(page);
            System.arraycopy(key, keyOffset, data, keyAt, headDim);
            System.arraycopy(value, valueOffset, data, valueAt, headDim);
        }
        pool.positions(page)[slot] = position;
        lengths[h] = length + 1;
    }

    @Override
    public void scores(int layer, int kvHead, float[] query, int queryOffset, float scale, int visible,
                       float[] out) {
        int h = head(layer, kvHead);
        KvArguments.checkVisible(visible, lengths[h]);
        int[] table = blockTables[h];
        for (int first = 0; first < visible; first += pageSize) {
            int page = table[first >> pageShift];
            int slots = Math.min(pageSize, visible - first);
            if (half) {
                short[] keys = pool.halves(page);
                for (int s = 0; s < slots; s++) {
                    out[first + s] = HalfKernels.dot(query, queryOffset, keys, s * headDim, headDim) * scale;
                }
            } else {
                float[] keys = pool.floats(page);
                for (int s = 0; s < slots; s++) {
                    out[first + s] = VectorOps.dot(query, queryOffset, keys, s * headDim, headDim) * scale;
                }
            }
        }
    }

    @Override
    public void weightedValues(int layer, int kvHead, float[] probabilities, int visible, float[] out,
                               int outOffset) {
        int h = head(layer, kvHead);
        KvArguments.checkVisible(visible, lengths[h]);
        int[] table = blockTables[h];
        Arrays.fill(out, outOffset, outOffset + headDim, 0f);
        for (int first = 0; first < visible; first += pageSize) {
            int page = table[first >> pageShift];
            int slots = Math.min(pageSize, visible - first);
            if (half) {
                short[] values = pool.halves(page);
                for (int s = 0; s < slots; s++) {
                    HalfKernels.axpy(probabilities[first + s], values, (pageSize + s) * headDim, out, outOffset,
                            headDim);
                }
            } else {
                float[] values = pool.floats(page);
                for (int s = 0; s < slots; s++) {
                    VectorOps.axpy(probabilities[first + s], values, (pageSize + s) * headDim, out, outOffset,
                            headDim);
                }
            }
        }
    }

    @Override
    public void key(int layer, int kvHead, int index, float[] out, int offset) {
        read(layer, kvHead, index, 0, out, offset);
    }

    @Override
    public void value(int layer, int kvHead, int index, float[] out, int offset) {
        read(layer, kvHead, index, pageSize, out, offset);
    }

    private void read(int layer, int kvHead, int index, int slotBase, float[] out, int offset) {
        int h = head(layer, kvHead);
        KvArguments.checkIndex(index, lengths[h]);
        int page = blockTables[h][index >> pageShift];
        int at = (slotBase + (index & pageMask)) * headDim;
        if (half) {
            HalfKernels.toFloat(pool.halves(page), at, out, offset, headDim);
        } else {
            System.arraycopy(pool.floats(page), at, out, offset, headDim);
        }
    }

    @Override
    public void retain(int layer, int kvHead, int[] keep, int count) {
        int h = head(layer, kvHead);
        KvArguments.checkKeep(keep, count, lengths[h]);
        int[] table = blockTables[h];
        for (int j = 0; j < count; j++) {
            if (keep[j] != j) { // j < keep[j]: moving forward in ascending order never overwrites a kept entry
                move(table, keep[j], j);
            }
        }
        shrink(h, count);
    }

    /** Copies entry {@code from} of a head (key, value, position) over entry {@code to}. */
    private void move(int[] table, int from, int to) {
        int fromPage = table[from >> pageShift];
        int toPage = table[to >> pageShift];
        int fromSlot = from & pageMask;
        int toSlot = to & pageMask;
        Object source = half ? pool.halves(fromPage) : pool.floats(fromPage);
        Object target = half ? pool.halves(toPage) : pool.floats(toPage);
        System.arraycopy(source, fromSlot * headDim, target, toSlot * headDim, headDim);
        System.arraycopy(source, (pageSize + fromSlot) * headDim, target, (pageSize + toSlot) * headDim, headDim);
        pool.positions(toPage)[toSlot] = pool.positions(fromPage)[fromSlot];
    }

    /** Cuts head {@code h} to its first {@code length} entries and frees the pages no longer needed. */
    private void shrink(int h, int length) {
        int[] table = blockTables[h];
        for (int p = pagesFor(length), held = pagesFor(lengths[h]); p < held; p++) {
            pool.free(table[p]);
        }
        lengths[h] = length;
    }

    @Override
    public void truncate(int position) {
        for (int h = 0; h < lengths.length; h++) {
            // Positions ascend within a head: binary search for the first entry to drop.
            int[] table = blockTables[h];
            int low = 0;
            int high = lengths[h];
            while (low < high) {
                int mid = (low + high) >>> 1;
                if (positionAt(table, mid) < position) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            shrink(h, low);
        }
    }

    @Override
    public void clear() {
        for (int h = 0; h < lengths.length; h++) {
            shrink(h, 0);
        }
    }

    @Override
    public long bytes() {
        long entries = 0;
        for (int length : lengths) {
            entries += length;
        }
        return entries * headDim * 2L * pool.elementType().bytes();
    }

    @Override
    public long slackBytes() {
        return (long) pages() * pool.pageBytes() - bytes();
    }
}
