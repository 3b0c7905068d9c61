package io.kvsqueeze.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Activation quantization as ggml's x86 quantize_row_q8_0 / quantize_row_q8_1. */
class Q8ActivationsTest {

    @Test
    void handComputedBlocks() {
        float[] x = new float[96];
        // Block 0: amax 127 so d = 1 and x·(127/amax) = x; ties round to even (_mm256_round_ps, nearest).
        float[] block0 = {127f, -63.5f, 2.5f, -2.5f, 0.5f, -0.5f, 1.49f, -0.2f};
        System.arraycopy(block0, 0, x, 0, block0.length);
        // Block 1 stays all zero: d = 0, every quant 0, s = 0.
        // Block 2: amax 1 so d = 1/127, which fp16 rounds to 0.007873535 (0x2008).
        x[64] = 1f;
        x[65] = -0.5f;
        x[66] = 0.25f;
        Q8Activations a = new Q8Activations(128);
        a.quantize(x, 0, 96);

        assertThat(a.length()).isEqualTo(96);
        assertThat(a.blocks()).isEqualTo(3);
        assertThat(a.capacity()).isEqualTo(128);
        byte[] expected0 = {127, -64, 2, -2, 0, 0, 1, 0};
        for (int j = 0; j < expected0.length; j++) {
            assertThat(a.quant(j)).as("quant %d", j).isEqualTo(expected0[j]);
        }
        assertThat(a.scale(0)).isEqualTo(1.0f);
        // Σq = 127 - 64 + 2 - 2 + 0 - 0 + 1 = 64; s = fp16(64·1) = 64.
        assertThat(a.sum(0)).isEqualTo(64.0f);

        for (int j = 32; j < 64; j++) {
            assertThat(a.quant(j)).isZero();
        }
        assertThat(a.scale(1)).isZero();
        assertThat(a.sum(1)).isZero();

        assertThat(a.scale(2)).isEqualTo(Float.float16ToFloat((short) 0x2008)).isEqualTo(0.007873535f);
        // id = 1/(1/127f) = 127 exactly: quants 127, roundf(-63.5) = -64 (tie away from zero), roundf(31.75) = 32.
        assertThat(a.quant(64)).isEqualTo((byte) 127);
        assertThat(a.quant(65)).isEqualTo((byte) -64);
        assertThat(a.quant(66)).isEqualTo((byte) 32);
        // s uses the unrounded d: fp16(95 / 127) = fp16(0.7480315) = 0.748046875.
        assertThat(a.sum(2)).isEqualTo(0.748046875f);
    }

    @Test
    void matchesReferenceOnRandomVectors() {
        SplittableRandom random = new SplittableRandom(99);
        int n = 1536;
        float[] x = new float[n + 5];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * Math.exp(random.nextGaussian() * 3));
        }
        Q8Activations a = new Q8Activations(n);
        a.quantize(x, 5, n);
        for (int b = 0; b < n / 32; b++) {
            float amax = 0f;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[5 + 32 * b + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            int sum = 0;
            for (int j = 0; j < 32; j++) {
                int q = TestQuantizer.roundf(x[5 + 32 * b + j] * id);
                assertThat(a.quant(32 * b + j)).isEqualTo((byte) q);
                sum += q;
            }
            assertThat(a.scale(b)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(d)));
            assertThat(a.sum(b)).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(sum * d)));
        }
    }

    @Test
    void reusedWithShorterLength() {
        Q8Activations a = new Q8Activations(64);
        float[] x = new float[64];
        java.util.Arrays.fill(x, 3f);
        a.quantize(x, 0, 64);
        a.quantize(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
                25, 26, 27, 28, 29, 30, 31, 32}, 0, 32);
        assertThat(a.length()).isEqualTo(32);
        assertThat(a.blocks()).isEqualTo(1);
        assertThatThrownBy(() -> a.quant(32)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> a.scale(1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void rejectsBadLengths() {
        Q8Activations a = new Q8Activations(64);
        float[] x = new float[100];
        assertThatThrownBy(() -> a.quantize(x, 0, 48)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> a.quantize(x, 0, 96)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("64");
        assertThatThrownBy(() -> a.quantize(x, 50, 64)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new Q8Activations(40)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quantizeAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Q8Activations a = new Q8Activations(576);
        float[] x = new float[576];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        for (int i = 0; i < 20_000; i++) {
            a.quantize(x, 0, 576);
        }
        long thread = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 20_000; i++) {
            a.quantize(x, 0, 576);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        // The bean call itself may allocate a little; 20,000 calls allocating anything would show far more.
        assertThat(allocated).isLessThan(4096);
    }
}
