package io.kvsqueeze.engine.kv;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvsqueeze.engine.cpu.VectorOps;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class HalfKernelsTest {

    @Test
    void widensEveryHalfExactlyLikeTheJdk() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        short[] halves = new short[65536 + lanes];
        for (int bits = 0; bits < 65536; bits++) {
            halves[bits] = (short) bits;
        }
        float[] widened = new float[lanes];
        for (int first = 0; first < 65536; first += lanes) {
            HalfKernels.widen(halves, first).intoArray(widened, 0);
            for (int lane = 0; lane < lanes; lane++) {
                float expected = Float.float16ToFloat(halves[first + lane]);
                if (Float.isNaN(expected)) {
                    assertThat(widened[lane]).as("half 0x%04x", first + lane).isNaN();
                } else {
                    assertThat(Float.floatToRawIntBits(widened[lane])).as("half 0x%04x", first + lane)
                            .isEqualTo(Float.floatToRawIntBits(expected));
                }
            }
        }
    }

    @Test
    void axpyOnHalvesEqualsTheFloatKernelOnTheSameValuesBitForBit() {
        Random random = new Random(7);
        for (int length : new int[] {1, 7, 16, 64, 67, 128}) {
            float[] rounded = new float[length + 5];
            short[] halves = new short[length + 5];
            for (int i = 0; i < halves.length; i++) {
                halves[i] = Float.floatToFloat16((random.nextInt(129) - 64) / 16f);
                rounded[i] = Float.float16ToFloat(halves[i]);
            }
            float[] y = new float[length + 2];
            float[] expected = new float[length + 2];
            HalfKernels.axpy(0.375f, halves, 5, y, 2, length);
            HalfKernels.axpy(-1.5f, halves, 5, y, 2, length);
            VectorOps.axpy(0.375f, rounded, 5, expected, 2, length);
            VectorOps.axpy(-1.5f, rounded, 5, expected, 2, length);
            assertThat(y).as("axpy of %d", length).containsExactly(expected);
        }
    }
}
