package io.kvsqueeze.engine.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor listed in a GGUF file.
 *
 * @param name   the tensor name, e.g. {@code blk.0.attn_q.weight}
 * @param dims   ggml order: {@code dims[0]} is the contiguous row length (ne0), then rows, then outer dims; 1 to
 *               {@value #MAX_DIMS} entries, each at least 1
 * @param type   the element type; may be one this engine cannot compute with ({@link GgmlType#supported()})
 * @param offset byte offset of the data relative to the start of the file's data section
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {
    /** ggml tensors have at most four dimensions. */
    public static final int MAX_DIMS = 4;

    /**
     * Checks what any use of the tensor relies on. A file reader checks the same things first, with messages
     * naming the file and byte offset; this guards tensors built in code.
     */
    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = Objects.requireNonNull(dims, "dims").clone();
        if (dims.length < 1 || dims.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + dims.length + " dims, expected 1 to "
                    + MAX_DIMS);
        }
        for (long dim : dims) {
            if (dim < 1) {
                throw new IllegalArgumentException("tensor '" + name + "' has a dimension " + dim + " < 1");
            }
        }
        if (dims[0] > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor '" + name + "' has rows of " + dims[0]
                    + " elements, more than an int can index");
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' of type " + type + " has rows of " + dims[0]
                    + " elements, not a multiple of the block size " + type.blockSize());
        }
        if (offset < 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has a negative offset " + offset);
        }
        try {
            Math.multiplyExact(productOf(dims, 0) / type.blockSize(), type.blockBytes());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' with dims " + Arrays.toString(dims)
                    + " has more elements or bytes than fit in a long", e);
        }
    }

    /** A copy; the record keeps its own. */
    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int nDims() {
        return dims.length;
    }

    public long elementCount() {
        return productOf(dims, 0);
    }

    public long byteSize() {
        return elementCount() / type.blockSize() * type.blockBytes();
    }

    /** Elements in one contiguous row: dims[0]. */
    public int columns() {
        return (int) dims[0];
    }

    /** Number of rows: the product of all dims after the first (1 for a vector). */
    public long rows() {
        return productOf(dims, 1);
    }

    private static long productOf(long[] dims, int from) {
        long product = 1;
        for (int i = from; i < dims.length; i++) {
            product = Math.multiplyExact(product, dims[i]);
        }
        return product;
    }

    // Records compare arrays by identity; two infos describing the same tensor should be equal.
    @Override
    public boolean equals(Object other) {
        return other instanceof GgufTensorInfo that
                && name.equals(that.name) && Arrays.equals(dims, that.dims)
                && type == that.type && offset == that.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dims), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset;
    }
}
