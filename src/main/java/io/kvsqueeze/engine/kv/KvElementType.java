package io.kvsqueeze.engine.kv;

/** How a KV store holds one element of a key or value: IEEE single or half precision. */
public enum KvElementType {
    F32(Float.BYTES),
    F16(Short.BYTES);

    private final int bytes;

    KvElementType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes of one stored element. */
    public int bytes() {
        return bytes;
    }
}
