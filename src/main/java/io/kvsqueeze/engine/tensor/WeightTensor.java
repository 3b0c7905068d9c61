package io.kvsqueeze.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import io.kvsqueeze.engine.gguf.GgmlType;

/**
 * A 2-D weight matrix {@code [rows][cols]} kept in its GGUF encoding: row-major, {@code cols} contiguous
 * elements per row, each row {@link #rowBytes()} bytes of ggml blocks, read straight from a (memory-mapped,
 * little-endian, read-only) {@link MemorySegment}.
 *
 * <p>Every format offers the scalar reference {@link #dequantizeRow}, a float-activation dot product
 * ({@link #dot}, Vector API; {@link #dotScalar}, plain loops) and {@link #matmul}. The 32-element block formats
 * (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) also have ggml's integer path against {@link Q8Activations}
 * ({@link #supportsQ8()}): {@link #dotQ8}, {@link #matmulQ8} for one token and {@link #matmulQ8Batch} for a
 * prompt batch. Row indices are {@code long}; nothing here threads, callers split row ranges.
 */
public abstract sealed class WeightTensor
        permits F32Tensor, F16Tensor, BF16Tensor, Q8_0Tensor, Q4_0Tensor, Q4_1Tensor, Q5_0Tensor, Q5_1Tensor,
        Q4_KTensor, Q5_KTensor, Q6_KTensor {

    final String name;
    final GgmlType type;
    final int cols;
    final long rows;
    final long rowBytes;
    /** Blocks per row: cols / blockSize. */
    final int blocks;
    final MemorySegment data;

    WeightTensor(String name, GgmlType type, int cols, long rows, MemorySegment data) {
        this.name = name;
        this.type = type;
        this.cols = cols;
        this.rows = rows;
        this.blocks = cols / type.blockSize();
        this.rowBytes = (long) blocks * type.blockBytes();
        this.data = data;
    }

    /**
     * Wraps {@code data} as a {@code rows x cols} tensor of {@code type}.
     *
     * @throws IllegalArgumentException naming the tensor when the type is not supported, {@code cols} is not a
     *                                  positive multiple of the block size, {@code rows} is not positive, or
     *                                  the segment is not exactly {@code rows * rowBytes} long
     */
    public static WeightTensor of(String name, GgmlType type, int cols, long rows, MemorySegment data) {
        Objects.requireNonNull(name, "name");
        if (type == null) {
            throw new IllegalArgumentException("tensor '" + name + "': no type");
        }
        if (!type.supported()) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' has type " + type + ", which this engine cannot compute with");
        }
        if (data == null) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + "): no data");
        }
        if (cols <= 0 || cols % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + "): row length " + cols
                    + " is not a positive multiple of the block size " + type.blockSize());
        }
        if (rows <= 0) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "' (" + type + "): row count " + rows + " is not positive");
        }
        long rowBytes = (long) (cols / type.blockSize()) * type.blockBytes();
        long expected;
        try {
            expected = Math.multiplyExact(rows, rowBytes);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + "): " + rows + " x " + cols
                    + " overflows a 64-bit byte size", e);
        }
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + type + ", " + rows + " x " + cols
                    + "): data has " + data.byteSize() + " bytes, expected " + expected);
        }
        return switch (type) {
            case F32 -> new F32Tensor(name, cols, rows, data);
            case F16 -> new F16Tensor(name, cols, rows, data);
            case BF16 -> new BF16Tensor(name, cols, rows, data);
            case Q8_0 -> new Q8_0Tensor(name, cols, rows, data);
            case Q4_0 -> new Q4_0Tensor(name, cols, rows, data);
            case Q4_1 -> new Q4_1Tensor(name, cols, rows, data);
            case Q5_0 -> new Q5_0Tensor(name, cols, rows, data);
            case Q5_1 -> new Q5_1Tensor(name, cols, rows, data);
            case Q4_K -> new Q4_KTensor(name, cols, rows, data);
            case Q5_K -> new Q5_KTensor(name, cols, rows, data);
            case Q6_K -> new Q6_KTensor(name, cols, rows, data);
            default -> throw new IllegalArgumentException(
                    "tensor '" + name + "' has type " + type + ", which this engine cannot compute with");
        };
    }

    public final String name() {
        return name;
    }

    public final GgmlType type() {
        return type;
    }

    /** Elements per row (GGUF ne0). */
    public final int cols() {
        return cols;
    }

    public final long rows() {
        return rows;
    }

    /** Bytes per row: cols / blockSize * blockBytes. */
    public final long rowBytes() {
        return rowBytes;
    }

    public final MemorySegment data() {
        return data;
    }

    /** Writes the {@code cols} values of row {@code row} to {@code out[outOffset...]}, with ggml's formula. */
    public abstract void dequantizeRow(long row, float[] out, int outOffset);

    /** Σ row[i]·x[xOffset+i] over the row, Vector API. */
    public abstract float dot(long row, float[] x, int xOffset);

    /** Σ dequantized row[i]·x[xOffset+i] in plain scalar loops: the reference and fallback of {@link #dot}. */
    public abstract float dotScalar(long row, float[] x, int xOffset);

    /** {@code out[r] = dot(r, x, 0)} for r in [rowStart, rowEnd). */
    public abstract void matmul(float[] x, float[] out, int rowStart, int rowEnd);

    /** Whether {@link #dotQ8}, {@link #matmulQ8} and {@link #matmulQ8Batch} are available. */
    public boolean supportsQ8() {
        return false;
    }

    /** ggml's integer dot of row {@code row} with quantized activations of length {@code cols}. */
    public float dotQ8(long row, Q8Activations a) {
        throw noQ8();
    }

    /** {@code out[r] = dotQ8(r, a)} for r in [rowStart, rowEnd). */
    public void matmulQ8(Q8Activations a, float[] out, int rowStart, int rowEnd) {
        throw noQ8();
    }

    /**
     * {@code out[t][r] = dotQ8(r, a[t])} for t in [0, tokens) and r in [rowStart, rowEnd): the prompt GEMM.
     * Rows are tiled with tokens so each weight block is read once per tile of tokens.
     */
    public void matmulQ8Batch(Q8Activations[] a, int tokens, float[][] out, int rowStart, int rowEnd) {
        throw noQ8();
    }

    private UnsupportedOperationException noQ8() {
        return new UnsupportedOperationException(
                "tensor '" + name + "' (" + type + ") has no int8-activation path; use dot/matmul");
    }

    /** Byte offset of row {@code row}, checked. */
    final long rowOffset(long row) {
        return Objects.checkIndex(row, rows) * rowBytes;
    }

    final void checkRange(int rowStart, int rowEnd, int outLength) {
        Objects.checkFromToIndex(rowStart, rowEnd, rows);
        Objects.checkFromToIndex(rowStart, rowEnd, outLength);
    }

    final void checkX(float[] x, int xOffset) {
        Objects.checkFromIndexSize(xOffset, cols, x.length);
    }

    final void checkQ8(Q8Activations a) {
        if (a.length() != cols) {
            throw new IllegalArgumentException("tensor '" + name + "' has rows of " + cols
                    + " elements, the activations have " + a.length());
        }
    }

    final void checkBatch(Q8Activations[] a, int tokens, float[][] out, int rowStart, int rowEnd) {
        Objects.checkFromToIndex(rowStart, rowEnd, rows);
        if (tokens < 0 || tokens > a.length || tokens > out.length) {
            throw new IllegalArgumentException("tokens " + tokens + " exceeds the activation (" + a.length
                    + ") or output (" + out.length + ") batch");
        }
        for (int t = 0; t < tokens; t++) {
            checkQ8(a[t]);
            Objects.checkFromToIndex(rowStart, rowEnd, out[t].length);
        }
    }

    @Override
    public String toString() {
        return name + " " + type + " [" + rows + " x " + cols + "]";
    }
}
