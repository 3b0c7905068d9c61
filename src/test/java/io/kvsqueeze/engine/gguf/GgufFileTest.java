package io.kvsqueeze.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GgufFileTest {
    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "GGUF v{0}")
    @ValueSource(ints = {2, 3})
    void everyScalarTypeRoundTripsInBothVersions(int version) {
        Path path = new GgufWriter().version(version)
                .putUint8("u8", 255)
                .putInt8("i8", -128)
                .putUint16("u16", 65535)
                .putInt16("i16", -32768)
                .putUint32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putFloat32("f32", -1.5e-7f)
                .putBool("yes", true)
                .putBool("no", false)
                .putString("text", "héllo ✓ 𝄞")
                .putString("empty", "")
                .putUint64("u64.max", -1L)
                .putUint64("u64.above.long.max", Long.MIN_VALUE + 5)
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat64("f64", Math.PI)
                .write(dir.resolve("scalars.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.version()).isEqualTo(version);
            GgufMetadata m = file.metadata();
            assertThat(m.asMap().keySet()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "f32", "yes",
                    "no", "text", "empty", "u64.max", "u64.above.long.max", "i64", "f64");
            assertThat(m.asMap().get("u8")).isEqualTo(255L);
            assertThat(m.asMap().get("i8")).isEqualTo(-128L);
            assertThat(m.asMap().get("u16")).isEqualTo(65535L);
            assertThat(m.asMap().get("i16")).isEqualTo(-32768L);
            assertThat(m.asMap().get("u32")).isEqualTo(4294967295L);
            assertThat(m.asMap().get("i32")).isEqualTo((long) Integer.MIN_VALUE);
            assertThat(m.asMap().get("f32")).isEqualTo(-1.5e-7f);
            assertThat(m.asMap().get("yes")).isEqualTo(true);
            assertThat(m.asMap().get("no")).isEqualTo(false);
            assertThat(m.getString("text")).isEqualTo("héllo ✓ 𝄞");
            assertThat(m.getString("empty")).isEmpty();
            assertThat(Long.toUnsignedString(m.getLong("u64.max"))).isEqualTo("18446744073709551615");
            assertThat(Long.toUnsignedString(m.getLong("u64.above.long.max"))).isEqualTo("9223372036854775813");
            assertThat(m.getLong("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.asMap().get("f64")).isEqualTo(Math.PI);
            assertThat(m.getInt("u16")).isEqualTo(65535);
            assertThat(file.tensors()).isEmpty();
        }
    }

    @Test
    void arraysOfEveryElementTypeRoundTripAsTheDocumentedJavaArrays() {
        Path path = new GgufWriter()
                .putArray("u8", GgufValueType.UINT8, new int[] {0, 1, 255})
                .putArray("i8", GgufValueType.INT8, new int[] {-128, 0, 127})
                .putArray("u16", GgufValueType.UINT16, new int[] {0, 65535})
                .putArray("i16", GgufValueType.INT16, new int[] {-32768, 32767})
                .putArray("u32", GgufValueType.UINT32, new long[] {0, 0xFFFF_FFFFL})
                .putArray("i32", GgufValueType.INT32, new int[] {Integer.MIN_VALUE, -1, Integer.MAX_VALUE})
                .putArray("u64", GgufValueType.UINT64, new long[] {-1L, Long.MIN_VALUE, 7})
                .putArray("i64", GgufValueType.INT64, new long[] {Long.MIN_VALUE, Long.MAX_VALUE})
                .putArray("f32", GgufValueType.FLOAT32, new float[] {1.5f, Float.NEGATIVE_INFINITY})
                .putArray("f64", GgufValueType.FLOAT64, new double[] {-0.25, Double.MAX_VALUE})
                .putArray("bool", GgufValueType.BOOL, new boolean[] {true, false, true})
                .putArray("str", GgufValueType.STRING, new String[] {"a", "", "ünï"})
                .putArray("empty", GgufValueType.FLOAT32, new float[0])
                .write(dir.resolve("arrays.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            var m = file.metadata().asMap();
            assertThat((int[]) m.get("u8")).containsExactly(0, 1, 255);
            assertThat((int[]) m.get("i8")).containsExactly(-128, 0, 127);
            assertThat((int[]) m.get("u16")).containsExactly(0, 65535);
            assertThat((int[]) m.get("i16")).containsExactly(-32768, 32767);
            assertThat((long[]) m.get("u32")).containsExactly(0, 0xFFFF_FFFFL);
            assertThat((int[]) m.get("i32")).containsExactly(Integer.MIN_VALUE, -1, Integer.MAX_VALUE);
            assertThat((long[]) m.get("u64")).containsExactly(-1L, Long.MIN_VALUE, 7);
            assertThat((long[]) m.get("i64")).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
            assertThat((float[]) m.get("f32")).containsExactly(1.5f, Float.NEGATIVE_INFINITY);
            assertThat((double[]) m.get("f64")).containsExactly(-0.25, Double.MAX_VALUE);
            assertThat((boolean[]) m.get("bool")).containsExactly(true, false, true);
            assertThat((String[]) m.get("str")).containsExactly("a", "", "ünï");
            assertThat((float[]) m.get("empty")).isEmpty();
        }
    }

    @Test
    void integerArraysWiderThanAnIntAreRejectedByGetIntArray() {
        Path path = new GgufWriter()
                .putArray("u32", GgufValueType.UINT32, new long[] {1, 0xFFFF_FFFFL})
                .putArray("small.u32", GgufValueType.UINT32, new long[] {1, 2})
                .write(dir.resolve("wide.gguf"));
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.metadata().getIntArray("small.u32")).containsExactly(1, 2);
            assertThatThrownBy(() -> file.metadata().getIntArray("u32"))
                    .isInstanceOf(GgufFormatException.class).hasMessageContaining("'u32'[1]");
        }
    }

    @Test
    void nestedArraysKeepEachInnerArraysOwnType() {
        Object[] nested = {
            GgufWriter.array(GgufValueType.UINT8, new int[] {1, 2}),
            new String[] {"x", "y"},
            new Object[] {new float[] {0.5f}, new Object[0]},
            new long[0],
        };
        Path path = new GgufWriter().put("nested", nested).write(dir.resolve("nested.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            Object[] read = (Object[]) file.metadata().asMap().get("nested");
            assertThat(read).hasSize(4);
            assertThat((int[]) read[0]).containsExactly(1, 2);
            assertThat((String[]) read[1]).containsExactly("x", "y");
            Object[] inner = (Object[]) read[2];
            assertThat((float[]) inner[0]).containsExactly(0.5f);
            assertThat((Object[]) inner[1]).isEmpty();
            assertThat((long[]) read[3]).isEmpty();
        }
    }

    @Test
    void tensorDataIsReadableThroughTheReadOnlyMapping() {
        float[] matrix = {1, 2, 3, 4, 5, 6};
        byte[] q8 = new byte[2 * GgmlType.Q8_0.blockBytes()];
        new Random(7).nextBytes(q8);
        Path path = new GgufWriter()
                .tensor("matrix", GgmlType.F32, new long[] {3, 2}, littleEndianFloats(matrix))
                .tensor("quantized", GgmlType.Q8_0, new long[] {64}, q8)
                .write(dir.resolve("tensors.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            GgufTensorInfo info = file.requireTensor("matrix");
            assertThat(info.dims()).containsExactly(3, 2);
            assertThat(info.columns()).isEqualTo(3);
            assertThat(info.rows()).isEqualTo(2);
            assertThat(info.elementCount()).isEqualTo(6);
            assertThat(info.byteSize()).isEqualTo(24);
            assertThat(info.offset()).isZero();

            MemorySegment data = file.tensorData(info);
            assertThat(data.isReadOnly()).isTrue();
            assertThat(data.byteSize()).isEqualTo(24);
            for (int i = 0; i < matrix.length; i++) {
                assertThat(data.get(F32_LE, 4L * i)).isEqualTo(matrix[i]);
            }

            GgufTensorInfo quantized = file.requireTensor("quantized");
            assertThat(quantized.offset()).isEqualTo(32); // 24 bytes of matrix padded to the default 32
            assertThat(quantized.byteSize()).isEqualTo(68);
            assertThat(file.tensorData(quantized).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(q8);
        }
    }

    @ParameterizedTest(name = "alignment {0}: second tensor at data offset {1}")
    @CsvSource({"1, 12", "8, 16", "64, 64", "4096, 4096"})
    void customAlignmentPlacesDataAndTensorsOnItsMultiples(int alignment, long secondOffset) {
        byte[] first = bytes(12, 1);
        byte[] second = bytes(8, 2);
        GgufWriter writer = new GgufWriter().alignment(alignment)
                .tensor("first", GgmlType.F32, new long[] {3}, first)
                .tensor("second", GgmlType.F16, new long[] {2, 2}, second);
        Path path = writer.write(dir.resolve("aligned.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.alignment()).isEqualTo(alignment);
            assertThat(file.metadata().getLong(GgufFile.ALIGNMENT_KEY)).isEqualTo(alignment);
            assertThat(file.dataOffset()).isEqualTo(writer.layout().dataOffset());
            assertThat(file.dataOffset() % alignment).isZero();
            GgufTensorInfo secondInfo = file.requireTensor("second");
            assertThat(secondInfo.offset()).isEqualTo(secondOffset); // 12 bytes of "first", padded
            assertThat(file.tensorData(file.requireTensor("first")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(first);
            assertThat(file.tensorData(secondInfo).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(second);
        }
    }

    @Test
    void tensorsOfTypesThisEngineCannotComputeWithStillParse() {
        Path path = new GgufWriter()
                .tensor("q2k", GgmlType.Q2_K, new long[] {256, 2}, bytes(2 * 84, 3))
                .tensor("iq2", GgmlType.IQ2_XXS, new long[] {512}, bytes(2 * 66, 4))
                .write(dir.resolve("unsupported.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.tensors()).extracting(GgufTensorInfo::type)
                    .containsExactly(GgmlType.Q2_K, GgmlType.IQ2_XXS);
            assertThat(file.requireTensor("q2k").type().supported()).isFalse();
            assertThat(file.tensorData(file.requireTensor("iq2")).byteSize()).isEqualTo(132);
        }
    }

    @Test
    void fourDimensionalTensorsReportRowsAsTheProductOfTheOuterDims() {
        Path path = new GgufWriter()
                .tensor("t4", GgmlType.F16, new long[] {2, 3, 4, 5}, bytes(2 * 120, 5))
                .write(dir.resolve("4d.gguf"));
        try (GgufFile file = GgufFile.open(path)) {
            GgufTensorInfo info = file.requireTensor("t4");
            assertThat(info.nDims()).isEqualTo(4);
            assertThat(info.columns()).isEqualTo(2);
            assertThat(info.rows()).isEqualTo(60);
            assertThat(info.elementCount()).isEqualTo(120);
            assertThat(info.byteSize()).isEqualTo(240);
        }
    }

    @Test
    void stringsLargerThanTheReadBufferAndManyStringsAcrossItsBoundaryParse() {
        String huge = "ß".repeat(1_500_000); // 3 MB of UTF-8, larger than the 1 MiB read buffer
        String[] vocabulary = new String[150_000];
        Random random = new Random(42);
        for (int i = 0; i < vocabulary.length; i++) {
            vocabulary[i] = "tok" + i + "é".repeat(random.nextInt(8));
        }
        Path path = new GgufWriter()
                .putString("huge", huge)
                .putArray("tokens", GgufValueType.STRING, vocabulary)
                .putString("after", "still aligned")
                .write(dir.resolve("big-strings.gguf"));

        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.metadata().getString("huge")).isEqualTo(huge);
            assertThat(file.metadata().getStringArray("tokens")).containsExactly(vocabulary);
            assertThat(file.metadata().getString("after")).isEqualTo("still aligned");
        }
    }

    @Test
    void aFileWithNeitherMetadataNorTensorsParses() {
        Path path = new GgufWriter().write(dir.resolve("empty.gguf"));
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.metadata().asMap()).isEmpty();
            assertThat(file.tensors()).isEmpty();
            assertThat(file.alignment()).isEqualTo(32);
            assertThat(file.dataOffset()).isEqualTo(32);
            assertThat(file.path()).isEqualTo(path);
        }
    }

    @Test
    void missingTensorsAreReportedWithFileAndName() {
        Path path = new GgufWriter().tensor("present", GgmlType.F32, new long[] {1}, bytes(4, 0))
                .write(dir.resolve("lookup.gguf"));
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.tensor("present")).isPresent();
            assertThat(file.tensor("absent")).isEmpty();
            assertThatThrownBy(() -> file.requireTensor("absent"))
                    .isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining(path.toString()).hasMessageContaining("'absent'");
        }
    }

    @Test
    void tensorDataRefusesForeignTensorsAndClosedFiles() {
        Path path = new GgufWriter().tensor("t", GgmlType.F32, new long[] {4}, bytes(16, 9))
                .write(dir.resolve("closing.gguf"));
        GgufFile file = GgufFile.open(path);
        GgufTensorInfo listed = file.requireTensor("t");
        GgufTensorInfo foreign = new GgufTensorInfo("t", new long[] {1024}, GgmlType.F32, 0);
        assertThatThrownBy(() -> file.tensorData(foreign)).isInstanceOf(IllegalArgumentException.class);

        MemorySegment before = file.tensorData(listed);
        file.close();
        file.close(); // harmless the second time
        assertThatThrownBy(() -> file.tensorData(listed)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(path.toString());
        assertThatThrownBy(() -> before.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
        assertThat(file.metadata().asMap()).isEmpty(); // metadata outlives the mapping
    }

    @Test
    void aMissingFileIsAnIoErrorNamingThePath() {
        Path missing = dir.resolve("nope.gguf");
        assertThatThrownBy(() -> GgufFile.open(missing))
                .isInstanceOf(java.io.UncheckedIOException.class).hasMessageContaining(missing.toString());
    }

    static byte[] littleEndianFloats(float[] values) {
        MemorySegment segment = MemorySegment.ofArray(new byte[values.length * 4]);
        for (int i = 0; i < values.length; i++) {
            segment.set(F32_LE, 4L * i, values[i]);
        }
        return segment.toArray(ValueLayout.JAVA_BYTE);
    }

    static byte[] bytes(int count, long seed) {
        byte[] bytes = new byte[count];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
