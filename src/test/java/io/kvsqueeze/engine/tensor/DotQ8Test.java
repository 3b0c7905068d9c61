package io.kvsqueeze.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import io.kvsqueeze.engine.gguf.GgmlType;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The int8-activation path against a scalar re-implementation of ggml's {@code ggml_vec_dot_*_q8_*} formulas
 * (reading the raw block bytes, not the code under test), against the float path within the activation
 * quantization error, and the batched GEMM against per-token matmulQ8.
 */
class DotQ8Test {
    static final GgmlType[] Q8_TYPES = {GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0};

    /** Bits of the fp16 at {@code at}. */
    static short half(byte[] b, int at) {
        return (short) ((b[at] & 0xFF) | (b[at + 1] << 8));
    }

    static int int32(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }

    /** Integer quant j (0..31) of the block at {@code at}, with the format's offset applied (q - 8, q - 16). */
    static int quant(GgmlType type, byte[] b, int at, int j) {
        return switch (type) {
            case Q8_0 -> b[at + 2 + j];
            case Q4_0 -> nibble(b[at + 2 + j % 16], j) - 8;
            case Q4_1 -> nibble(b[at + 4 + j % 16], j);
            case Q5_0 -> (nibble(b[at + 6 + j % 16], j) | (((int32(b, at + 2) >>> j) & 1) << 4)) - 16;
            case Q5_1 -> nibble(b[at + 8 + j % 16], j) | (((int32(b, at + 4) >>> j) & 1) << 4);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static int nibble(byte packed, int j) {
        return j < 16 ? packed & 0x0F : (packed >>> 4) & 0x0F;
    }

    static boolean hasMin(GgmlType type) {
        return type == GgmlType.Q4_1 || type == GgmlType.Q5_1;
    }

    /**
     * ggml's scalar vec_dot: per block {@code sumi = Σ q·q8} in int, then
     * {@code sumf += (d·d8)·sumi} (+ {@code m·s8} for Q4_1/Q5_1) in float, block by block.
     * Returns {sumf, magnitude} where magnitude = Σ_blocks |d·d8|·Σ|q·q8| + |m·s8| bounds the partial sums any
     * summation order (SIMD lanes included) goes through.
     */
    static double[] ggmlDot(GgmlType type, byte[] bytes, long rowStart, int cols, Q8Activations a) {
        float sumf = 0f;
        double magnitude = 0;
        for (int blk = 0; blk < cols / 32; blk++) {
            int at = (int) (rowStart + (long) blk * type.blockBytes());
            int sumi = 0;
            int sumAbs = 0;
            for (int j = 0; j < 32; j++) {
                int product = quant(type, bytes, at, j) * a.quant(32 * blk + j);
                sumi += product;
                sumAbs += Math.abs(product);
            }
            float d = Float.float16ToFloat(half(bytes, at));
            float term = (d * a.scale(blk)) * sumi;
            magnitude += Math.abs((double) d * a.scale(blk)) * sumAbs;
            if (hasMin(type)) {
                float minTerm = Float.float16ToFloat(half(bytes, at + 2)) * a.sum(blk);
                term += minTerm;
                magnitude += Math.abs(minTerm);
            }
            sumf += term;
        }
        return new double[]{sumf, magnitude};
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : Q8_TYPES) {
            for (int cols : new int[]{32, 96, 576, 1536}) {
                cases.add(Arguments.of(type, cols));
            }
        }
        return cases.stream();
    }

    static float[] gaussian(int n, SplittableRandom random, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * scale);
        }
        return x;
    }

    @ParameterizedTest(name = "{0} x {1} cols")
    @MethodSource("cases")
    void matchesGgmlIntegerFormula(GgmlType type, int cols) {
        SplittableRandom random = new SplittableRandom(cols * 17L + type.ordinal());
        int rows = 7;
        byte[] bytes = TestQuantizer.quantize(type, gaussian(rows * cols, random, 0.05));
        WeightTensor tensor = WeightTensor.of("q8." + type, type, cols, rows, TestQuantizer.segment(bytes));
        assertThat(tensor.supportsQ8()).isTrue();
        float[] x = gaussian(cols, random, 1.0);
        Q8Activations a = new Q8Activations(cols + 64);
        a.quantize(x, 0, cols);
        checkAgainstGgml(tensor, bytes, a);
        checkAgainstFloatPath(tensor, bytes, a, x);
    }

    static void checkAgainstGgml(WeightTensor tensor, byte[] bytes, Q8Activations a) {
        int rows = (int) tensor.rows();
        float[] out = new float[rows];
        tensor.matmulQ8(a, out, 0, rows);
        for (int r = 0; r < rows; r++) {
            double[] ref = ggmlDot(tensor.type(), bytes, r * tensor.rowBytes(), tensor.cols(), a);
            Offset<Double> tolerance = Offset.offset(2e-6 * ref[1] + 1e-30);
            assertThat((double) tensor.dotQ8(r, a)).as("%s row %d dotQ8", tensor, r).isCloseTo(ref[0], tolerance);
            assertThat((double) out[r]).as("%s row %d matmulQ8", tensor, r).isCloseTo(ref[0], tolerance);
        }
        // A sub-range with an odd start and length leaves the rest of out untouched.
        float[] partial = new float[rows];
        Arrays.fill(partial, -7f);
        tensor.matmulQ8(a, partial, 1, rows - 1);
        assertThat(partial[0]).isEqualTo(-7f);
        assertThat(partial[rows - 1]).isEqualTo(-7f);
        for (int r = 1; r < rows - 1; r++) {
            double[] ref = ggmlDot(tensor.type(), bytes, r * tensor.rowBytes(), tensor.cols(), a);
            assertThat((double) partial[r]).as("%s row %d matmulQ8 from row 1", tensor, r)
                    .isCloseTo(ref[0], Offset.offset(2e-6 * ref[1] + 1e-30));
        }
    }

    /**
     * |dotQ8 - dot| is bounded by the activation quantization error: |x - q8·d8| <= d8·(0.5 + 127·2^-11)
     * (rounding plus the fp16 scale), and for Q4_1/Q5_1 the fp16-rounded s8 against Σx.
     */
    static void checkAgainstFloatPath(WeightTensor tensor, byte[] bytes, Q8Activations a, float[] x) {
        int cols = tensor.cols();
        float[] w = new float[cols];
        for (int r = 0; r < tensor.rows(); r++) {
            tensor.dequantizeRow(r, w, 0);
            double bound = 0;
            double magnitude = 0;
            for (int i = 0; i < cols; i++) {
                int blk = i / 32;
                int at = (int) (r * tensor.rowBytes() + (long) blk * tensor.type().blockBytes());
                float m = hasMin(tensor.type()) ? Float.float16ToFloat(half(bytes, at + 2)) : 0f;
                bound += (Math.abs(w[i]) + Math.abs(m)) * a.scale(blk) * 0.57;
                if (i % 32 == 0 && m != 0f) {
                    bound += Math.abs(m) * (Math.abs(a.sum(blk)) * 0x1p-10 + 16.5 * a.scale(blk));
                }
                magnitude += Math.abs(w[i] * x[i]);
            }
            float dot = tensor.dot(r, x, 0);
            assertThat((double) tensor.dotQ8(r, a)).as("%s row %d vs float dot", tensor, r)
                    .isCloseTo(dot, Offset.offset(bound + 1e-5 * magnitude + 1e-30));
        }
    }

    static Stream<GgmlType> q8Types() {
        return Stream.of(Q8_TYPES);
    }

    /** Random block bytes with adversarial scales and mins: zero, -0, subnormal, largest finite halves. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("q8Types")
    void adversarialBlocks(GgmlType type) {
        int[] halves = {0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00};
        int cols = 96;
        int rows = halves.length + 1;
        int rowBytes = (int) type.bytesFor(cols);
        SplittableRandom random = new SplittableRandom(3 + type.ordinal());
        byte[] bytes = new byte[rows * rowBytes];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        for (int r = 0; r < rows; r++) {
            if (r == halves.length) {
                Arrays.fill(bytes, r * rowBytes, (r + 1) * rowBytes, (byte) 0xFF);
            }
            DotTest.forceHalves(type, bytes, r * rowBytes, rowBytes, r < halves.length ? halves[r] : 0x2E66);
        }
        WeightTensor tensor = WeightTensor.of("adversarial." + type, type, cols, rows, TestQuantizer.segment(bytes));
        Q8Activations a = new Q8Activations(cols);
        float[] x = gaussian(cols, random, 3.0);
        x[5] = 0f;
        x[40] = -0f;
        Arrays.fill(x, 64, 96, 0f); // an all-zero activation block: d8 = 0, s8 = 0
        a.quantize(x, 0, cols);
        checkAgainstGgml(tensor, bytes, a);
        // Extreme activations: every block's amax maps to ±127.
        float[] big = new float[cols];
        for (int i = 0; i < cols; i++) {
            big[i] = (i % 2 == 0 ? 1 : -1) * 60000f;
        }
        a.quantize(big, 0, cols);
        checkAgainstGgml(tensor, bytes, a);
    }

    /**
     * Inf and NaN scales (corrupt files) are not silently turned into finite numbers by the fast fp16 decoding:
     * wherever ggml's formula gives a non-finite result, so do dotQ8, matmulQ8 and the float dot.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("q8Types")
    void nonFiniteScalesStayNonFinite(GgmlType type) {
        int[] halves = {0x7C00, 0xFC00, 0x7E00, 0x7C01};
        int cols = 64;
        int rowBytes = (int) type.bytesFor(cols);
        SplittableRandom random = new SplittableRandom(11 + type.ordinal());
        byte[] bytes = TestQuantizer.quantize(type, gaussian(halves.length * 2 * cols, random, 1.0));
        for (int r = 0; r < 2 * halves.length; r++) {
            // Row 2k: the scale d of block 1 is non-finite; row 2k+1: the min m (or d again) of block 0.
            int block = r * rowBytes + (r % 2 == 0 ? type.blockBytes() : 0);
            int field = r % 2 == 1 && hasMin(type) ? 2 : 0;
            TestQuantizer.putShort(bytes, block + field, (short) halves[r / 2]);
        }
        WeightTensor tensor = WeightTensor.of("nonfinite." + type, type, cols, 2L * halves.length,
                TestQuantizer.segment(bytes));
        Q8Activations a = new Q8Activations(cols);
        float[] x = gaussian(cols, random, 1.0);
        a.quantize(x, 0, cols);
        float[] out = new float[2 * halves.length];
        tensor.matmulQ8(a, out, 0, out.length);
        for (int r = 0; r < out.length; r++) {
            double reference = ggmlDot(type, bytes, (long) r * rowBytes, cols, a)[0];
            assertThat(Double.isFinite(reference)).as("reference row %d", r).isFalse();
            assertThat(tensor.dotQ8(r, a)).as("dotQ8 row %d", r).isNotFinite();
            assertThat(out[r]).as("matmulQ8 row %d", r).isNotFinite();
            assertThat(tensor.dot(r, x, 0)).as("dot row %d", r).isNotFinite();
        }
    }

    static Stream<Arguments> batchCases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : Q8_TYPES) {
            for (int tokens : new int[]{1, 2, 3, 5}) {
                cases.add(Arguments.of(type, tokens));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}, {1} tokens")
    @MethodSource("batchCases")
    void batchEqualsPerTokenMatmul(GgmlType type, int tokens) {
        SplittableRandom random = new SplittableRandom(tokens * 5L + type.ordinal());
        int cols = 576;
        int rows = 9;
        WeightTensor tensor = TestQuantizer.tensor("batch." + type, type, cols, gaussian(rows * cols, random, 0.1));
        Q8Activations[] a = new Q8Activations[tokens + 1];
        for (int t = 0; t < a.length; t++) {
            a[t] = new Q8Activations(cols);
            a[t].quantize(gaussian(cols, random, 1.0), 0, cols);
        }
        float[][] batched = new float[tokens + 1][rows];
        for (float[] row : batched) {
            Arrays.fill(row, 99f);
        }
        for (int[] range : new int[][]{{0, rows}, {1, rows}, {2, 7}, {3, 4}}) {
            tensor.matmulQ8Batch(a, tokens, batched, range[0], range[1]);
            for (int t = 0; t < tokens; t++) {
                float[] single = new float[rows];
                tensor.matmulQ8(a[t], single, range[0], range[1]);
                for (int r = range[0]; r < range[1]; r++) {
                    assertThat(batched[t][r]).as("token %d row %d range %s", t, r, Arrays.toString(range))
                            .isEqualTo(single[r]);
                }
            }
        }
        // The token beyond the batch is never written.
        assertThat(batched[tokens]).containsOnly(99f);
    }

    @Test
    void formatsWithoutIntegerPathSayWhich() {
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q4_K,
                GgmlType.Q5_K, GgmlType.Q6_K}) {
            int cols = type.blockSize() == 1 ? 32 : 256;
            WeightTensor tensor = TestQuantizer.tensor("blk.0.ffn_down.weight", type, cols, new float[cols]);
            assertThat(tensor.supportsQ8()).isFalse();
            Q8Activations a = new Q8Activations(cols);
            a.quantize(new float[cols], 0, cols);
            assertThatThrownBy(() -> tensor.dotQ8(0, a)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("blk.0.ffn_down.weight").hasMessageContaining(type.toString());
            assertThatThrownBy(() -> tensor.matmulQ8(a, new float[1], 0, 1))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> tensor.matmulQ8Batch(new Q8Activations[]{a}, 1, new float[1][1], 0, 1))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
    }

    @Test
    void activationLengthMustMatchRow() {
        WeightTensor tensor = TestQuantizer.tensor("blk.3.attn_q.weight", GgmlType.Q4_1, 64, new float[128]);
        Q8Activations a = new Q8Activations(96);
        a.quantize(new float[96], 0, 96);
        assertThatThrownBy(() -> tensor.dotQ8(0, a)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blk.3.attn_q.weight").hasMessageContaining("64").hasMessageContaining("96");
        assertThatThrownBy(() -> tensor.matmulQ8(a, new float[2], 0, 2)).isInstanceOf(IllegalArgumentException.class);
        Q8Activations ok = new Q8Activations(64);
        ok.quantize(new float[64], 0, 64);
        assertThatThrownBy(() -> tensor.matmulQ8(ok, new float[2], 0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tensor.matmulQ8Batch(new Q8Activations[]{ok}, 2, new float[2][2], 0, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
