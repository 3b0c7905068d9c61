package io.kvsqueeze.engine.kv;

import io.kvsqueeze.engine.cpu.VectorOps;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

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
 * <p>Within a page, keys are stored dimension-major (dimension d of slot s at {@code d * pageSize + s}) and
 * values entry-major: a score is then a chain of vector fmas over dimensions with the page's entries in the
 * lanes, with no horizontal sum, and a weighted value sum is an axpy per entry.
 *
 * <p>F16 halves the memory. The forward pass rounds K and V to half precision before appending them (as
 * llama.cpp, whose cache is F16, does), so F16 and F32 storage hold the same values and give bit-identical
 * attention; the kernels widen halves to float in registers.
 */
public final class PagedKvCache implements KvCache {
    /** Entries per page unless told otherwise: 4 KiB pages for F16 and headDim 64. */
    public static final int DEFAULT_PAGE_SIZE = 16;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();

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
        int valueAt = (pageSize + slot) * headDim;
        if (half) {
            short[] data = pool.halves(page);
            for (int d = 0; d < headDim; d++) {
                data[d * pageSize + slot] = Float.floatToFloat16(key[keyOffset + d]);
            }
            HalfKernels.toHalf(value, valueOffset, data, valueAt, headDim);
        } else {
            float[] data = pool.floats(page);
            for (int d = 0; d < headDim; d++) {
                data[d * pageSize + slot] = key[keyOffset + d];
            }
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
        scoreGroup(h, 1, scale, query, queryOffset, visible, out, query, queryOffset, 0, out, query, queryOffset,
                0, out, query, queryOffset, 0, out);
    }

    @Override
    public void scores(int layer, int kvHead, float[][] queries, int[] queryOffsets, int count, float scale,
                       int[] visible, float[][] out) {
        int h = head(layer, kvHead);
        for (int j = 0; j < count; j++) {
            KvArguments.checkVisible(visible[j], lengths[h]);
        }
        // Four queries at a time share each loaded (and, in F16, widened) key vector.
        for (int j = 0; j < count; j += 4) {
            int n = Math.min(4, count - j);
            int j1 = Math.min(j + 1, count - 1);
            int j2 = Math.min(j + 2, count - 1);
            int j3 = Math.min(j + 3, count - 1);
            scoreGroup(h, n, scale, queries[j], queryOffsets[j], visible[j], out[j],
                    queries[j1], queryOffsets[j1], n > 1 ? visible[j1] : 0, out[j1],
                    queries[j2], queryOffsets[j2], n > 2 ? visible[j2] : 0, out[j2],
                    queries[j3], queryOffsets[j3], n > 3 ? visible[j3] : 0, out[j3]);
        }
    }

    /**
     * Scores of up to four queries of one head: {@code out_j[i] = (Σ_d fma over d of q_j[d] * key_i[d]) * scale}
     * for {@code i < visible_j}, the sum taken in dimension order from zero. Keys are stored dimension-major in
     * a page, so one vector holds dimension d of consecutive entries and a score needs no horizontal sum; each
     * lane does the same fma chain as the scalar path, so every query gets the same bits whatever the group.
     * Queries beyond {@code n} repeat query 0 with {@code visible} 0 and are never stored.
     */
    private void scoreGroup(int h, int n, float scale,
                            float[] q0, int o0, int v0, float[] out0, float[] q1, int o1, int v1, float[] out1,
                            float[] q2, int o2, int v2, float[] out2, float[] q3, int o3, int v3, float[] out3) {
        int[] table = blockTables[h];
        int visible = Math.max(Math.max(v0, v1), Math.max(v2, v3));
        for (int first = 0; first < visible; first += pageSize) {
            int page = table[first >> pageShift];
            if (pageSize % LANES != 0) {
                int slots = Math.min(pageSize, visible - first);
                for (int s = 0; s < slots; s++) {
                    int i = first + s;
                    if (i < v0) out0[i] = scalarScore(page, s, q0, o0) * scale;
                    if (i < v1) out1[i] = scalarScore(page, s, q1, o1) * scale;
                    if (i < v2) out2[i] = scalarScore(page, s, q2, o2) * scale;
                    if (i < v3) out3[i] = scalarScore(page, s, q3, o3) * scale;
                }
                continue;
            }
            for (int lane0 = 0; lane0 < pageSize && first + lane0 < visible; lane0 += LANES) {
                FloatVector a0 = FloatVector.zero(F);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                if (half) {
                    short[] keys = pool.halves(page);
                    for (int d = 0; d < headDim; d++) {
                        FloatVector k = HalfKernels.widen(keys, d * pageSize + lane0);
                        a0 = FloatVector.broadcast(F, q0[o0 + d]).fma(k, a0);
                        a1 = FloatVector.broadcast(F, q1[o1 + d]).fma(k, a1);
                        a2 = FloatVector.broadcast(F, q2[o2 + d]).fma(k, a2);
                        a3 = FloatVector.broadcast(F, q3[o3 + d]).fma(k, a3);
                    }
                } else {
                    float[] keys = pool.floats(page);
                    for (int d = 0; d < headDim; d++) {
                        FloatVector k = FloatVector.fromArray(F, keys, d * pageSize + lane0);
                        a0 = FloatVector.broadcast(F, q0[o0 + d]).fma(k, a0);
                        a1 = FloatVector.broadcast(F, q1[o1 + d]).fma(k, a1);
                        a2 = FloatVector.broadcast(F, q2[o2 + d]).fma(k, a2);
                        a3 = FloatVector.broadcast(F, q3[o3 + d]).fma(k, a3);
                    }
                }
                int i = first + lane0;
                store(a0.mul(scale), out0, i, v0);
                if (n > 1) store(a1.mul(scale), out1, i, v1);
                if (n > 2) store(a2.mul(scale), out2, i, v2);
                if (n > 3) store(a3.mul(scale), out3, i, v3);
            }
        }
    }

    private float scalarScore(int page, int slot, float[] query, int queryOffset) {
        float acc = 0f;
        if (half) {
            short[] keys = pool.halves(page);
            for (int d = 0; d < headDim; d++) {
                acc = Math.fma(query[queryOffset + d], Float.float16ToFloat(keys[d * pageSize + slot]), acc);
            }
        } else {
            float[] keys = pool.floats(page);
            for (int d = 0; d < headDim; d++) {
                acc = Math.fma(query[queryOffset + d], keys[d * pageSize + slot], acc);
            }
        }
        return acc;
    }

    /** Stores the lanes of {@code scores} for entries {@code i..} that are below {@code visible}. */
    private static void store(FloatVector scores, float[] out, int i, int visible) {
        int valid = visible - i;
        if (valid >= LANES) {
            scores.intoArray(out, i);
        } else if (valid > 0) {
            scores.intoArray(out, i, F.indexInRange(0, valid));
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
    public void weightedValues(int layer, int kvHead, float[][] probabilities, int[] visible, int count,
                               float[][] out, int[] outOffsets) {
        if (!half || headDim % LANES != 0) {
            KvCache.super.weightedValues(layer, kvHead, probabilities, visible, count, out, outOffsets);
            return;
        }
        int h = head(layer, kvHead);
        int most = 0;
        for (int j = 0; j < count; j++) {
            KvArguments.checkVisible(visible[j], lengths[h]);
            Arrays.fill(out[j], outOffsets[j], outOffsets[j] + headDim, 0f);
            most = Math.max(most, visible[j]);
        }
        // Each value vector is widened once for all the queries; per query the sum runs in entry order with
        // the same fma as HalfKernels.axpy, so the result equals the one-query path bit for bit.
        int[] table = blockTables[h];
        for (int first = 0; first < most; first += pageSize) {
            short[] values = pool.halves(table[first >> pageShift]);
            int slots = Math.min(pageSize, most - first);
            for (int s = 0; s < slots; s++) {
                int i = first + s;
                int at = (pageSize + s) * headDim;
                for (int d = 0; d < headDim; d += LANES) {
                    FloatVector v = HalfKernels.widen(values, at + d);
                    for (int j = 0; j < count; j++) {
                        if (i < visible[j]) {
                            float[] y = out[j];
                            int yAt = outOffsets[j] + d;
                            v.fma(FloatVector.broadcast(F, probabilities[j][i]), FloatVector.fromArray(F, y, yAt))
                                    .intoArray(y, yAt);
                        }
                    }
                }
            }
        }
    }

    @Override
    public void key(int layer, int kvHead, int index, float[] out, int offset) {
        int h = head(layer, kvHead);
        KvArguments.checkIndex(index, lengths[h]);
        int page = blockTables[h][index >> pageShift];
        int slot = index & pageMask;
        for (int d = 0; d < headDim; d++) {
            out[offset + d] = half ? Float.float16ToFloat(pool.halves(page)[d * pageSize + slot])
                    : pool.floats(page)[d * pageSize + slot];
        }
    }

    @Override
    public void value(int layer, int kvHead, int index, float[] out, int offset) {
        int h = head(layer, kvHead);
        KvArguments.checkIndex(index, lengths[h]);
        int page = blockTables[h][index >> pageShift];
        int at = (pageSize + (index & pageMask)) * headDim;
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
        // Keys are dimension-major: one element per dimension, copied in a plain loop (an arraycopy call per
        // element cost more than the copy); values are one contiguous run.
        if (half) {
            short[] source = pool.halves(fromPage);
            short[] target = pool.halves(toPage);
            for (int d = 0; d < headDim; d++) {
                target[d * pageSize + toSlot] = source[d * pageSize + fromSlot];
            }
            System.arraycopy(source, (pageSize + fromSlot) * headDim, target, (pageSize + toSlot) * headDim, headDim);
        } else {
            float[] source = pool.floats(fromPage);
            float[] target = pool.floats(toPage);
            for (int d = 0; d < headDim; d++) {
                target[d * pageSize + toSlot] = source[d * pageSize + fromSlot];
            }
            System.arraycopy(source, (pageSize + fromSlot) * headDim, target, (pageSize + toSlot) * headDim, headDim);
        }
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
