package io.kvsqueeze.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;

import io.kvsqueeze.engine.gguf.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The factory: one subclass per format, shape and size validation, errors that name the tensor. */
class WeightTensorTest {

    @Test
    void oneFinalClassPerSupportedType() {
        Map<GgmlType, Class<?>> expected = Map.ofEntries(
                Map.entry(GgmlType.F32, F32Tensor.class), Map.entry(GgmlType.F16, F16Tensor.class),
                Map.entry(GgmlType.BF16, BF16Tensor.class), Map.entry(GgmlType.Q8_0, Q8_0Tensor.class),
                Map.entry(GgmlType.Q4_0, Q4_0Tensor.class), Map.entry(GgmlType.Q4_1, Q4_1Tensor.class),
                Map.entry(GgmlType.Q5_0, Q5_0Tensor.class), Map.entry(GgmlType.Q5_1, Q5_1Tensor.class),
                Map.entry(GgmlType.Q4_K, Q4_KTensor.class), Map.entry(GgmlType.Q5_K, Q5_KTensor.class),
                Map.entry(GgmlType.Q6_K, Q6_KTensor.class));
        for (GgmlType type : GgmlType.values()) {
            if (!type.supported()) {
                continue;
            }
            int cols = type.blockSize() * 2;
            MemorySegment data = Arena.ofAuto().allocate(3 * type.bytesFor(cols));
            WeightTensor tensor = WeightTensor.of("t." + type, type, cols, 3, data);
            assertThat(tensor).isExactlyInstanceOf(expected.get(type));
            assertThat(java.lang.reflect.Modifier.isFinal(tensor.getClass().getModifiers())).isTrue();
            assertThat(tensor.name()).isEqualTo("t." + type);
            assertThat(tensor.type()).isEqualTo(type);
            assertThat(tensor.cols()).isEqualTo(cols);
            assertThat(tensor.rows()).isEqualTo(3);
            assertThat(tensor.rowBytes()).isEqualTo(type.bytesFor(cols));
            assertThat(tensor.data()).isSameAs(data);
            assertThat(tensor.supportsQ8()).isEqualTo(type.blockSize() == 32);
        }
        assertThat(expected.keySet()).allMatch(GgmlType::supported);
    }

    @Test
    void rejectsUnsupportedTypesNamingTensorAndType() {
        MemorySegment data = Arena.ofAuto().allocate(1024);
        for (GgmlType type : new GgmlType[]{GgmlType.Q8_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.IQ4_NL,
                GgmlType.I8, GgmlType.F64}) {
            assertThatThrownBy(() -> WeightTensor.of("blk.7.ffn_up.weight", type, 256, 1, data))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("blk.7.ffn_up.weight").hasMessageContaining(type.toString());
        }
        assertThatThrownBy(() -> WeightTensor.of("output.weight", null, 32, 1, data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output.weight");
    }

    @Test
    void rejectsBadShapesNamingTensor() {
        MemorySegment data = Arena.ofAuto().allocate(20 * 4);
        // cols not a multiple of the block size
        assertThatThrownBy(() -> WeightTensor.of("token_embd.weight", GgmlType.Q4_1, 48, 2, data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token_embd.weight").hasMessageContaining("48").hasMessageContaining("32");
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.Q4_K, 128, 1, data))
                .hasMessageContaining("'x'").hasMessageContaining("256");
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.F32, 0, 1, data))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.F32, 4, 0, data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row count");
        // segment size != rows * rowBytes: 2 rows of 64 Q4_1 are 80 bytes, 3 rows would be 120
        assertThat(WeightTensor.of("ok", GgmlType.Q4_1, 64, 2, data).rowBytes()).isEqualTo(40);
        assertThatThrownBy(() -> WeightTensor.of("blk.0.attn_k.weight", GgmlType.Q4_1, 64, 3, data))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("blk.0.attn_k.weight").hasMessageContaining("80").hasMessageContaining("120");
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.Q4_1, 64, 1, data))
                .hasMessageContaining("expected 40");
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.Q8_0, 1 << 30, Long.MAX_VALUE / 8, data))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overflow");
        assertThatThrownBy(() -> WeightTensor.of("x", GgmlType.F32, 4, 1, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
    }

    @Test
    void rowIndicesAreChecked() {
        WeightTensor tensor = TestQuantizer.tensor("w", GgmlType.Q8_0, 32, new float[64]);
        float[] out = new float[32];
        assertThatThrownBy(() -> tensor.dequantizeRow(2, out, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tensor.dot(-1, out, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tensor.dot(0, out, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tensor.matmul(out, new float[2], 0, 3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> tensor.matmul(out, new float[1], 0, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * A Q8_0 tensor of 100 million 32-element rows (3.4 GB, a sparse file): the last row sits past 2^31 bytes
     * and past 2^31 elements, so any int offset arithmetic would read the wrong bytes or throw.
     */
    @Test
    void rowsBeyondTwoGigabytes(@TempDir Path dir) throws IOException {
        long rows = 100_000_000L;
        int cols = 32;
        long size = rows * 34;
        Path file = dir.resolve("big.bin");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        float[] values = new float[cols];
        for (int j = 0; j < cols; j++) {
            values[j] = j - 15.5f;
        }
        byte[] block = TestQuantizer.quantize(GgmlType.Q8_0, values);
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                     java.nio.file.StandardOpenOption.WRITE)) {
            MemorySegment data = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            MemorySegment.copy(block, 0, data, ValueLayout.JAVA_BYTE, size - 34, 34);
            WeightTensor tensor = WeightTensor.of("big", GgmlType.Q8_0, cols, rows, data.asReadOnly());
            float[] last = new float[cols];
            tensor.dequantizeRow(rows - 1, last, 0);
            float[] first = new float[cols];
            tensor.dequantizeRow(0, first, 0);
            assertThat(first).containsOnly(0f);
            float d = Float.float16ToFloat(Float.floatToFloat16(15.5f / 127));
            assertThat(last[0]).isEqualTo(-127 * d);
            assertThat(last[31]).isEqualTo(127 * d);
            float[] ones = new float[cols];
            java.util.Arrays.fill(ones, 1f);
            assertThat(tensor.dot(rows - 1, ones, 0)).isEqualTo(tensor.dotScalar(rows - 1, ones, 0));
            assertThat((double) tensor.dot(rows - 1, ones, 0)).isCloseTo(0.0, org.assertj.core.data.Offset.offset(1e-3));
            Q8Activations a = new Q8Activations(cols);
            a.quantize(values, 0, cols);
            double expected = 0;
            for (int j = 0; j < cols; j++) {
                expected += (double) last[j] * values[j];
            }
            assertThat((double) tensor.dotQ8(rows - 1, a)).isCloseTo(expected,
                    org.assertj.core.data.Offset.offset(0.02 * Math.abs(expected)));
        }
    }
}
