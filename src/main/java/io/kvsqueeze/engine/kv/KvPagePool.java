package io.kvsqueeze.engine.kv;

/**
 * Fixed-size pages of KV storage with a hard byte cap: the allocator behind {@link PagedKvCache}. A page holds
 * {@code pageSize} entries of one (layer, KV head) of one cache: their keys, values and positions. Freed pages
 * go on a free list and are handed out again before any new page is made. Pages are created lazily, the first
 * time the pool grows past its high-water mark, and then kept for reuse, so a cache that stays within what it
 * used before allocates nothing.
 *
 * <p>One pool can back several caches (the seam for a byte budget shared by sequences): the cap is then a
 * budget over all of them. {@link #allocate} and {@link #free} are synchronized for that; reading a page's
 * storage is not, since a page belongs to one cache at a time.
 *
 * <p>Page bytes count K and V only ({@code pageSize x headDim x 2 x element size}); the positions ({@code
 * pageSize} ints per page) are bookkeeping, as in {@link KvCache#bytes()}.
 */
public final class KvPagePool {
    private final KvElementType elementType;
    private final int headDim;
    private final int pageSize;
    private final int pageBytes;
    private final long capacityBytes;
    private final int maxPages;

    // Page p: dimension d of slot s's key at d * pageSize + s (dimension-major), its value at
    // [(pageSize + s) * headDim, +headDim), in floats[p] (F32) or halves[p] (F16); positions[p][s] is the
    // slot's logical position.
    private final float[][] floats;
    private final short[][] halves;
    private final int[][] positions;
    private final int[] freePages;      // stack of free page ids, freeCount deep
    private final boolean[] inUse;      // catches double frees, which would hand one page to two heads
    private int freeCount;
    private int createdPages;
    private int usedPages;
    private int highWaterPages;

    /**
     * A pool of at most {@code capacityBytes / pageBytes} pages, where a page holds {@code pageSize} entries
     * of {@code headDim} elements of K and of V.
     */
    public KvPagePool(KvElementType elementType, int headDim, int pageSize, long capacityBytes) {
        if (headDim < 1 || pageSize < 1 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("headDim " + headDim + " must be positive and pageSize " + pageSize
                    + " a power of two");
        }
        this.elementType = elementType;
        this.headDim = headDim;
        this.pageSize = pageSize;
        long bytes = (long) pageSize * headDim * 2L * elementType.bytes();
        if (2L * pageSize * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a page of " + pageSize + " x " + headDim + " entries is too large");
        }
        this.pageBytes = (int) bytes;
        long pages = capacityBytes / pageBytes;
        if (capacityBytes < 0 || pages > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("KV pool capacity " + capacityBytes + " bytes out of range");
        }
        this.capacityBytes = capacityBytes;
        this.maxPages = (int) pages;
        this.floats = elementType == KvElementType.F32 ? new float[maxPages][] : null;
        this.halves = elementType == KvElementType.F16 ? new short[maxPages][] : null;
        this.positions = new int[maxPages][];
        this.freePages = new int[maxPages];
        this.inUse = new boolean[maxPages];
    }

    /** A pool just large enough for {@code heads} heads of {@code entriesPerHead} entries each. */
    public static KvPagePool forHeads(KvElementType elementType, int headDim, int pageSize, int heads,
                                      int entriesPerHead) {
        long pagesPerHead = (entriesPerHead + pageSize - 1) / pageSize;
        return new KvPagePool(elementType, headDim, pageSize,
                heads * pagesPerHead * pageSize * headDim * 2L * elementType.bytes());
    }

    public KvElementType elementType() {
        return elementType;
    }

    public int headDim() {
        return headDim;
    }

    /** Entries per page. */
    public int pageSize() {
        return pageSize;
    }

    /** Bytes of K and V in one page. */
    public int pageBytes() {
        return pageBytes;
    }

    /** The hard cap: no more than {@code capacityBytes / pageBytes} pages are ever handed out at once. */
    public long capacityBytes() {
        return capacityBytes;
    }

    public synchronized long usedBytes() {
        return (long) usedPages * pageBytes;
    }

    /** Most bytes in use at any one time; also what the pool holds on the heap, since pages are kept. */
    public synchronized long highWaterBytes() {
        return (long) highWaterPages * pageBytes;
    }

    public synchronized int usedPages() {
        return usedPages;
    }

    /** A page id for the caller's exclusive use until {@link #free}; its contents are undefined. */
    public synchronized int allocate() {
        int page;
        if (freeCount > 0) {
            page = freePages[--freeCount];
        } else if (createdPages < maxPages) {
            page = createdPages++;
            if (halves != null) {
                halves[page] = new short[2 * pageSize * headDim];
            } else {
                floats[page] = new float[2 * pageSize * headDim];
            }
            positions[page] = new int[pageSize];
        } else {
            throw new KvPoolExhaustedException("KV page pool exhausted: all " + maxPages + " pages of " + pageBytes
                    + " bytes (capacity " + capacityBytes + " bytes) are in use; raise the KV pool capacity,"
                    + " shorten the context or compress the cache harder");
        }
        inUse[page] = true;
        usedPages++;
        highWaterPages = Math.max(highWaterPages, usedPages);
        return page;
    }

    /** Returns a page from {@link #allocate} to the pool. */
    public synchronized void free(int page) {
        if (page < 0 || page >= createdPages || !inUse[page]) {
            throw new IllegalArgumentException("page " + page + " is not allocated from this pool");
        }
        inUse[page] = false;
        freePages[freeCount++] = page;
        usedPages--;
    }

    // ---- storage of a page, for the cache that holds it ----

    float[] floats(int page) {
        return floats[page];
    }

    short[] halves(int page) {
        return halves[page];
    }

    int[] positions(int page) {
        return positions[page];
    }
}
