package io.kvsqueeze.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import io.kvsqueeze.engine.gguf.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Float-activation dot products: the Vector API {@link WeightTensor#dot}, the scalar {@link WeightTensor#dotScalar}
 * and Σ dequantizeRow·x agree within a relative tolerance, on random rows and on adversarial blocks.
 */
class DotTest {
    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    /** Row lengths per type: block multiples including SmolLM2's 576 and 1536 and odd block counts. */
    static int[] lengths(GgmlType type) {
        return switch (type.blockSize()) {
            case 1 -> new int[]{1, 7, 16, 100, 576, 1536};
            case 32 -> new int[]{32, 64, 96, 576, 1536};
            default -> new int[]{256, 768, 1536};
        };
    }

    static Stream<Arguments> randomCases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (int cols : lengths(type)) {
                cases.add(Arguments.of(type, cols));
            }
        }
        return cases.stream();
    }

    /** |a - b| within 2e-5 of Σ|w·x| (plus a floor for sums of subnormals). */
    static void assertClose(float actual, double expected, double magnitude, String what) {
        double tolerance = 2e-5 * magnitude + 1e-37;
        assertThat((double) actual).as(what).isCloseTo(expected, org.assertj.core.data.Offset.offset(tolerance));
    }

    static float[] randomActivations(int n, SplittableRandom random) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** dot, dotScalar and Σ dequant·x (in double) agree on every row; matmul equals dot. */
    static void checkAllRows(WeightTensor tensor, float[] x, int xOffset) {
        int cols = tensor.cols();
        float[] row = new float[cols];
        for (long r = 0; r < tensor.rows(); r++) {
            tensor.dequantizeRow(r, row, 0);
            double reference = 0;
            double magnitude = 0;
            for (int i = 0; i < cols; i++) {
                reference += (double) row[i] * x[xOffset + i];
                magnitude += Math.abs((double) row[i] * x[xOffset + i]);
            }
            String what = tensor + " row " + r;
            assertClose(tensor.dot(r, x, xOffset), reference, magnitude, what + " dot");
            assertClose(tensor.dotScalar(r, x, xOffset), reference, magnitude, what + " dotScalar");
        }
        if (xOffset == 0) {
            int rows = (int) tensor.rows();
            float[] out = new float[rows + 1];
            out[rows] = 42f;
            tensor.matmul(x, out, 1, rows);
            for (int r = 1; r < rows; r++) {
                assertThat(out[r]).isEqualTo(tensor.dot(r, x, 0));
            }
            assertThat(out[0]).isZero();
            assertThat(out[rows]).isEqualTo(42f);
        }
    }

    @ParameterizedTest(name = "{0} x {1} cols")
    @MethodSource("randomCases")
    void randomRows(GgmlType type, int cols) {
        SplittableRandom random = new SplittableRandom(31L * cols + type.ordinal());
        int rows = 5;
        float[] weights = new float[rows * cols];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (random.nextGaussian() * (1 + i % 7));
        }
        WeightTensor tensor = TestQuantizer.tensor("random." + type, type, cols, weights);
        assertThat(tensor.type()).isEqualTo(type);
        checkAllRows(tensor, randomActivations(cols, random), 0);
        // A non-zero activation offset.
        float[] shifted = randomActivations(cols + 13, random);
        checkAllRows(tensor, shifted, 13);
    }

    static Stream<GgmlType> types() {
        return Stream.of(TYPES);
    }

    /**
     * Raw random bytes with every fp16/bf16 field forced to one adversarial value per row: all-zero scales,
     * subnormal and negative-zero scales, the largest finite halves, and random bytes everywhere else
     * (covering min and max nibbles, all-ones and all-zero high bits).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("types")
    void adversarialBlocks(GgmlType type) {
        int[] halves = {0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00};
        int cols = type.blockSize() == 1 ? 64 : 2 * type.blockSize() + (type.blockSize() == 32 ? 32 : 0);
        SplittableRandom random = new SplittableRandom(7 + type.ordinal());
        int rows = halves.length + 2;
        long rowBytes = type.bytesFor(cols);
        byte[] bytes = new byte[(int) (rows * rowBytes)];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        for (int r = 0; r < rows; r++) {
            int rowStart = (int) (r * rowBytes);
            if (r == halves.length) {
                java.util.Arrays.fill(bytes, rowStart, (int) (rowStart + rowBytes), (byte) 0xFF);
            }
            int half = r < halves.length ? halves[r] : 0x3555;
            forceHalves(type, bytes, rowStart, (int) rowBytes, half);
        }
        WeightTensor tensor = WeightTensor.of("adversarial." + type, type, cols, rows, TestQuantizer.segment(bytes));
        float[] x = randomActivations(cols, random);
        checkAllRows(tensor, x, 0);
        float[] extremes = new float[cols];
        for (int i = 0; i < cols; i++) {
            extremes[i] = i % 3 == 0 ? 1e4f : (i % 3 == 1 ? -0.0f : Float.MIN_NORMAL);
        }
        checkAllRows(tensor, extremes, 0);
    }

    /**
     * Sets every fp16 field of a quantized row (scale, min) to {@code half}; in F32/F16/BF16 rows every value
     * becomes an adversarial but finite one: signed zeros, subnormals, the largest finite halves, huge floats.
     */
    static void forceHalves(GgmlType type, byte[] bytes, int rowStart, int rowBytes, int half) {
        switch (type) {
            case F32 -> {
                float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_NORMAL, 1e19f, -1e19f, 3.5f};
                for (int at = rowStart, i = 0; at < rowStart + rowBytes; at += 4, i++) {
                    TestQuantizer.putInt(bytes, at, Float.floatToRawIntBits(specials[(i + half) % specials.length]));
                }
            }
            case F16 -> {
                int[] specials = {0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x3555, half};
                for (int at = rowStart, i = 0; at < rowStart + rowBytes; at += 2, i++) {
                    TestQuantizer.putShort(bytes, at, (short) specials[i % specials.length]);
                }
            }
            case BF16 -> {
                int[] specials = {0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x5F7F, 0xDF7F, 0x3F80, half};
                for (int at = rowStart, i = 0; at < rowStart + rowBytes; at += 2, i++) {
                    TestQuantizer.putShort(bytes, at, (short) specials[i % specials.length]);
                }
            }
            default -> {
                int[] fields = switch (type) {
                    case Q8_0, Q4_0, Q5_0 -> new int[]{0};
                    case Q4_1, Q5_1, Q4_K, Q5_K -> new int[]{0, 2};
                    case Q6_K -> new int[]{208};
                    default -> throw new IllegalArgumentException(type.toString());
                };
                for (int block = rowStart; block < rowStart + rowBytes; block += type.blockBytes()) {
                    for (int field : fields) {
                        TestQuantizer.putShort(bytes, block + field, (short) half);
                    }
                }
            }
        }
    }
}
