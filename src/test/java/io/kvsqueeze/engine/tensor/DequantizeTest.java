package io.kvsqueeze.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;

import io.kvsqueeze.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * One hand-built block per format, with the expected values worked out from ggml's block layouts (not from the
 * code under test). Each block is placed as the second row of a 2-row tensor so row offsets are exercised.
 */
class DequantizeTest {

    /** Two rows: a filler row of zero bytes, then {@code block}; returns row 1 dequantized. */
    private static float[] dequantizeSecondRow(GgmlType type, int cols, byte[] row) {
        byte[] bytes = new byte[2 * row.length];
        System.arraycopy(row, 0, bytes, row.length, row.length);
        WeightTensor tensor = WeightTensor.of("hand." + type, type, cols, 2, TestQuantizer.segment(bytes));
        float[] out = new float[cols + 3];
        Arrays.fill(out, Float.NaN);
        tensor.dequantizeRow(1, out, 2);
        assertThat(out[0]).isNaN();
        assertThat(out[1]).isNaN();
        assertThat(out[cols + 2]).isNaN();
        return Arrays.copyOfRange(out, 2, cols + 2);
    }

    private static void half(byte[] b, int at, int bits) {
        TestQuantizer.putShort(b, at, (short) bits);
    }

    @Test
    void f32() {
        byte[] row = new byte[16];
        TestQuantizer.putInt(row, 0, Float.floatToRawIntBits(1.5f));
        TestQuantizer.putInt(row, 4, Float.floatToRawIntBits(-2.25f));
        TestQuantizer.putInt(row, 8, 0x80000000);
        TestQuantizer.putInt(row, 12, 0x00000001);
        float[] values = dequantizeSecondRow(GgmlType.F32, 4, row);
        assertThat(values).containsExactly(1.5f, -2.25f, -0.0f, Float.MIN_VALUE);
        assertThat(Float.floatToRawIntBits(values[2])).isEqualTo(0x80000000);
    }

    @Test
    void f16() {
        byte[] row = new byte[14];
        int[] bits = {0x3C00, 0xC000, 0x0001, 0x7BFF, 0x8000, 0x3555, 0x03FF};
        for (int i = 0; i < bits.length; i++) {
            half(row, 2 * i, bits[i]);
        }
        float[] values = dequantizeSecondRow(GgmlType.F16, 7, row);
        assertThat(values).containsExactly(1.0f, -2.0f, 0x1p-24f, 65504.0f, -0.0f, 0.33325195f, 0x3FFp-24f);
        assertThat(Float.floatToRawIntBits(values[4])).isEqualTo(0x80000000);
    }

    @Test
    void bf16() {
        byte[] row = new byte[8];
        int[] bits = {0x3F80, 0xC040, 0x0001, 0x7F7F};
        for (int i = 0; i < bits.length; i++) {
            half(row, 2 * i, bits[i]);
        }
        float[] values = dequantizeSecondRow(GgmlType.BF16, 4, row);
        assertThat(values).containsExactly(1.0f, -3.0f, Float.intBitsToFloat(0x00010000), 3.3895314e38f);
    }

    @Test
    void q8_0() {
        byte[] row = new byte[34];
        half(row, 0, 0x3800); // d = 0.5
        for (int j = 0; j < 32; j++) {
            row[2 + j] = (byte) (j * 8 - 128); // -128, -120, ..., 120
        }
        float[] expected = new float[32];
        for (int j = 0; j < 32; j++) {
            expected[j] = -64f + 4f * j; // (8j - 128) * 0.5
        }
        assertThat(dequantizeSecondRow(GgmlType.Q8_0, 32, row)).containsExactly(expected);
    }

    @Test
    void q4_0() {
        byte[] row = new byte[18];
        half(row, 0, 0x4000); // d = 2
        for (int j = 0; j < 16; j++) {
            row[2 + j] = (byte) (j | ((15 - j) << 4));
        }
        // element j: (j - 8)·2; element j+16: (15 - j - 8)·2
        assertThat(dequantizeSecondRow(GgmlType.Q4_0, 32, row)).containsExactly(
                -16, -14, -12, -10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10, 12, 14,
                14, 12, 10, 8, 6, 4, 2, 0, -2, -4, -6, -8, -10, -12, -14, -16);
    }

    @Test
    void q4_1() {
        byte[] row = new byte[20];
        half(row, 0, 0x3C00); // d = 1
        half(row, 2, 0xBC00); // m = -1
        for (int j = 0; j < 16; j++) {
            row[4 + j] = (byte) (j | ((15 - j) << 4));
        }
        // element j: j·1 - 1; element j+16: (15 - j)·1 - 1
        assertThat(dequantizeSecondRow(GgmlType.Q4_1, 32, row)).containsExactly(
                -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, -1);
    }

    @Test
    void q5_0() {
        byte[] row = new byte[22];
        half(row, 0, 0x3C00); // d = 1
        TestQuantizer.putInt(row, 2, 0xAAAA5555); // bit j set for even j < 16, bit j+16 set for odd j
        for (int j = 0; j < 16; j++) {
            row[6 + j] = (byte) (j | ((15 - j) << 4));
        }
        // element j: j + (even j ? 16 : 0) - 16; element j+16: (15 - j) + (odd j ? 16 : 0) - 16
        assertThat(dequantizeSecondRow(GgmlType.Q5_0, 32, row)).containsExactly(
                0, -15, 2, -13, 4, -11, 6, -9, 8, -7, 10, -5, 12, -3, 14, -1,
                -1, 14, -3, 12, -5, 10, -7, 8, -9, 6, -11, 4, -13, 2, -15, 0);
    }

    @Test
    void q5_1() {
        byte[] row = new byte[24];
        half(row, 0, 0x3800); // d = 0.5
        half(row, 2, 0x4000); // m = 2
        TestQuantizer.putInt(row, 4, 0xAAAA5555);
        for (int j = 0; j < 16; j++) {
            row[8 + j] = (byte) (j | ((15 - j) << 4));
        }
        // q = nibble + 16·bit; x = q·0.5 + 2
        assertThat(dequantizeSecondRow(GgmlType.Q5_1, 32, row)).containsExactly(
                10f, 2.5f, 11f, 3.5f, 12f, 4.5f, 13f, 5.5f, 14f, 6.5f, 15f, 7.5f, 16f, 8.5f, 17f, 9.5f,
                9.5f, 17f, 8.5f, 16f, 7.5f, 15f, 6.5f, 14f, 5.5f, 13f, 4.5f, 12f, 3.5f, 11f, 2.5f, 10f);
    }

    @Test
    void q4_k() {
        byte[] row = new byte[144];
        half(row, 0, 0x3C00); // d = 1
        half(row, 2, 0x3800); // dmin = 0.5
        // sc = {1, 2, 3, 4, 33, 46, 63, 10}, m = {0, 1, 2, 3, 40, 5, 63, 17}, packed as get_scale_min_k4 reads
        int[] scales = {0x81, 0x82, 0xC3, 0x04, 0x80, 0x01, 0xC2, 0x43, 0x81, 0x5E, 0xFF, 0x1A};
        for (int i = 0; i < 12; i++) {
            row[4 + i] = (byte) scales[i];
        }
        Arrays.fill(row, 16, 144, (byte) 0x21); // low nibble 1, high nibble 2
        // sub-block s: d·sc[s]·(s even ? 1 : 2) - dmin·m[s]
        float[] perSubBlock = {1.0f, 3.5f, 2.0f, 6.5f, 13.0f, 89.5f, 31.5f, 11.5f};
        float[] values = dequantizeSecondRow(GgmlType.Q4_K, 256, row);
        for (int i = 0; i < 256; i++) {
            assertThat(values[i]).as("element %d", i).isEqualTo(perSubBlock[i / 32]);
        }
    }

    @Test
    void q5_k() {
        byte[] row = new byte[176];
        half(row, 0, 0x3800); // d = 0.5
        half(row, 2, 0x3400); // dmin = 0.25
        // sc = {5, 1, 7, 2, 17, 20, 31, 63}, m = {1, 0, 3, 2, 16, 48, 0, 33}
        int[] scales = {0x45, 0x41, 0x47, 0xC2, 0x41, 0xC0, 0x03, 0x82, 0x01, 0x04, 0x0F, 0x1F};
        for (int i = 0; i < 12; i++) {
            row[4 + i] = (byte) scales[i];
        }
        for (int l = 0; l < 32; l++) {
            row[16 + l] = (byte) (l % 2 == 1 ? 0x55 : 0xAA); // odd l: bits 0,2,4,6; even l: bits 1,3,5,7
        }
        Arrays.fill(row, 48, 176, (byte) 0x73); // low nibble 3, high nibble 7
        // sub-block s (chunk s/2): q = (s even ? 3 : 7) + 16·bit(qh[l], s); x = d·sc[s]·q - dmin·m[s]
        float[] evenL = {7.25f, 11.5f, 9.75f, 22.5f, 21.5f, 218.0f, 46.5f, 716.25f};
        float[] oddL = {47.25f, 3.5f, 65.75f, 6.5f, 157.5f, 58.0f, 294.5f, 212.25f};
        float[] values = dequantizeSecondRow(GgmlType.Q5_K, 256, row);
        for (int i = 0; i < 256; i++) {
            float expected = (i % 2 == 0 ? evenL : oddL)[i / 32];
            assertThat(values[i]).as("element %d", i).isEqualTo(expected);
        }
    }

    @Test
    void q6_k() {
        byte[] row = new byte[210];
        Arrays.fill(row, 0, 128, (byte) 0x5A); // ql: low nibble 10, high nibble 5
        Arrays.fill(row, 128, 192, (byte) 0xE4); // qh: bits 0-1 = 0, 2-3 = 1, 4-5 = 2, 6-7 = 3
        int[] scales = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16};
        for (int i = 0; i < 16; i++) {
            row[192 + i] = (byte) scales[i];
        }
        half(row, 208, 0x3400); // d = 0.25
        // quarter k of each 128-half uses q = {-22, -6, 5, 21}[k] and scale[8n + l/16 + 2k]
        float[] perGroupOf16 = {-5.5f, 11.0f, -4.5f, 6.0f, 6.25f, -7.5f, 36.75f, -42.0f,
                -49.5f, 55.0f, -16.5f, 18.0f, 16.25f, -17.5f, 78.75f, -84.0f};
        float[] values = dequantizeSecondRow(GgmlType.Q6_K, 256, row);
        for (int i = 0; i < 256; i++) {
            assertThat(values[i]).as("element %d", i).isEqualTo(perGroupOf16[i / 16]);
        }
    }
}
