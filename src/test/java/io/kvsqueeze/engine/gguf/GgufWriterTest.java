package io.kvsqueeze.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class GgufWriterTest {
    /**
     * The file gguf-py 0.19.0 (ggml's own Python writer) produces for:
     * <pre>
     * w = gguf.GGUFWriter(path, "llama")
     * w.add_uint32("llama.block_count", 2)
     * w.add_float32("llama.rope.freq_base", 10000.0)
     * w.add_bool("tokenizer.ggml.add_bos_token", True)
     * w.add_array("tokenizer.ggml.tokens", ["a", "bc", "é"])
     * w.add_tensor("t", np.arange(6, dtype=np.float32).reshape(2, 3))
     * w.add_tensor("v", np.arange(5, dtype=np.float16))
     * </pre>
     */
    private static final String GGUF_PY_BYTES = """
            474755460300000002000000000000000500000000000000140000000000000067656e6572616c2e61726368697465637475\
            72650800000005000000000000006c6c616d6111000000000000006c6c616d612e626c6f636b5f636f756e74040000000200\
            000014000000000000006c6c616d612e726f70652e667265715f626173650600000000401c461c00000000000000746f6b65\
            6e697a65722e67676d6c2e6164645f626f735f746f6b656e07000000011500000000000000746f6b656e697a65722e67676d\
            6c2e746f6b656e73090000000800000003000000000000000100000000000000610200000000000000626302000000000000\
            00c3a90100000000000000740200000003000000000000000200000000000000000000000000000000000000010000000000\
            0000760100000005000000000000000100000020000000000000000000000000000000000000000000000000000000000000\
            0000000000000000803f0000004000004040000080400000a04000000000000000000000003c004000420044000000000000\
            00000000000000000000000000000000""";

    @Test
    void writesTheSameBytesAsGgmlsPythonWriter() {
        byte[] f16ZeroToFour = HexFormat.of().parseHex("0000003c004000420044");
        byte[] written = new GgufWriter()
                .putString("general.architecture", "llama")
                .putUint32("llama.block_count", 2)
                .putFloat32("llama.rope.freq_base", 10000f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .put("tokenizer.ggml.tokens", new String[] {"a", "bc", "é"})
                .tensor("t", GgmlType.F32, new long[] {3, 2}, GgufFileTest.littleEndianFloats(new float[] {0, 1, 2, 3, 4, 5}))
                .tensor("v", GgmlType.F16, new long[] {5}, f16ZeroToFour)
                .toBytes();

        assertThat(HexFormat.of().formatHex(written)).isEqualTo(GGUF_PY_BYTES);
    }

    @Test
    void layoutPointsAtTheFieldsItNames() {
        GgufWriter writer = new GgufWriter()
                .putUint32("count", 7)
                .tensor("w", GgmlType.F32, new long[] {2}, new byte[8]);
        byte[] bytes = writer.toBytes();
        GgufWriter.Layout layout = writer.layout();

        assertThat(layout.fileSize()).isEqualTo(bytes.length);
        assertThat(layout.key("count").keyLength()).isEqualTo(24); // right after the 24-byte header
        assertThat(bytes[(int) layout.key("count").valueType()]).isEqualTo((byte) GgufValueType.UINT32.id());
        assertThat(bytes[(int) layout.key("count").value()]).isEqualTo((byte) 7);
        assertThat(bytes[(int) layout.tensor("w").nDims()]).isEqualTo((byte) 1);
        assertThat(bytes[(int) layout.tensor("w").dims()]).isEqualTo((byte) 2);
        assertThat(bytes[(int) layout.tensor("w").type()]).isEqualTo((byte) GgmlType.F32.id());
        assertThat(layout.tensor("w").data()).isEqualTo(layout.dataOffset());
        assertThat(layout.dataOffset() % 32).isZero();
    }

    @Test
    void refusesValuesThatDoNotFitTheirType() {
        GgufWriter writer = new GgufWriter();
        assertThatThrownBy(() -> writer.putUint8("k", 256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putUint32("k", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putArray("k", GgufValueType.INT8, new int[] {128}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.putArray("k", GgufValueType.FLOAT32, new double[] {1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> writer.tensor("t", GgmlType.Q4_0, new long[] {32}, new byte[17]))
                .isInstanceOf(IllegalArgumentException.class);
        writer.putUint8("k", 255);
        assertThatThrownBy(() -> writer.putUint8("k", 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
