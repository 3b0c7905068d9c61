package io.kvsqueeze.engine.gguf;

/**
 * Types of GGUF metadata values. The declaration order is the on-disk type id (UINT8 = 0 .. FLOAT64 = 12),
 * so never reorder these constants.
 */
public enum GgufValueType {
    UINT8(1),
    INT8(1),
    UINT16(2),
    INT16(2),
    UINT32(4),
    INT32(4),
    FLOAT32(4),
    BOOL(1),
    STRING(8),
    ARRAY(12),
    UINT64(8),
    INT64(8),
    FLOAT64(8);

    private static final GgufValueType[] BY_ID = values();

    private final int minEncodedBytes;

    GgufValueType(int minEncodedBytes) {
        this.minEncodedBytes = minEncodedBytes;
    }

    /** The type with this on-disk id, or null when the id is unknown. */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    public int id() {
        return ordinal();
    }

    /**
     * The fewest bytes one value of this type takes in a file: its width for numbers, the u64 length for an
     * (empty) string, and element type plus u64 count for an (empty) array. Used to bound a declared count by
     * the bytes the file has left before allocating anything for it.
     */
    public int minEncodedBytes() {
        return minEncodedBytes;
    }
}
