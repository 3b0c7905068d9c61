package io.kvsqueeze.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each test writes a valid file, breaks one field at an offset the writer's layout names, and expects a
 * {@link GgufFormatException} whose message names the file and the offset, key or tensor at fault.
 */
class GgufMalformedFileTest {
    @TempDir
    Path dir;

    private final GgufWriter writer = validWriter();
    private final byte[] bytes = writer.toBytes();
    private final GgufWriter.Layout layout = writer.layout();

    /** A bit of everything; keys "key.one"/"key.two" and tensors "attn_q"/"attn_k" have equal-length names. */
    private static GgufWriter validWriter() {
        return new GgufWriter()
                .putString("general.architecture", "llama")
                .putUint32("llama.block_count", 2)
                .putString("general.name", "tiny")
                .putBool("flag", true)
                .putInt32("key.one", 1)
                .putInt32("key.two", 2)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, new String[] {"a", "b", "c"})
                .putArray("nested", GgufValueType.ARRAY, new Object[] {new int[] {1, 2}})
                .putFloat32("eps", 1e-5f)
                .tensor("attn_q.weight", GgmlType.Q4_0, new long[] {64, 2}, GgufFileTest.bytes(4 * 18, 1))
                .tensor("attn_k.weight", GgmlType.F32, new long[] {16, 2}, GgufFileTest.bytes(128, 2))
                .tensor("norm.weight", GgmlType.F32, new long[] {16}, GgufFileTest.bytes(64, 3));
    }

    @Test
    void theUncorruptedFileParses() throws IOException {
        Path path = dir.resolve("valid.gguf");
        Files.write(path, bytes);
        try (GgufFile file = GgufFile.open(path)) {
            assertThat(file.tensors()).hasSize(3);
            assertThat(file.metadata().asMap()).hasSize(9);
        }
    }

    // ---------------------------------------------------------------- header

    @Test
    void aFileThatIsNotGgufIsRejectedAtOffsetZero() {
        byte[] corrupted = bytes.clone();
        corrupted[0] = 'X';
        assertThat(rejected(corrupted)).contains("byte offset 0", "not a GGUF file");
    }

    @Test
    void version1IsRejectedWithAClearMessage() {
        assertThat(rejected(withU32(bytes, 4, 1))).contains("byte offset 4", "version 1 is not supported");
    }

    @Test
    void unknownAndBigEndianVersionsAreRejected() {
        assertThat(rejected(withU32(bytes, 4, 4))).contains("byte offset 4", "unsupported GGUF version 4");
        assertThat(rejected(withU32(bytes, 4, 0x0300_0000))).contains("byte offset 4", "big-endian");
    }

    @ParameterizedTest(name = "tensor count {0}")
    @ValueSource(longs = {1L << 40, -1L, 1_000})
    void aTensorCountTheFileCannotHoldIsRejectedInTheHeader(long count) {
        assertThat(rejected(withU64(bytes, 8, count))).contains("byte offset 8", "tensor count");
    }

    @Test
    void aTensorCountTheRemainingTensorInfosCannotHoldIsRejectedBeforeReadingThem() {
        // Small enough to pass the header's bound, too large for the bytes after the metadata.
        long tooMany = (layout.fileSize() - layout.tensorInfos()) / 32 + 1;
        assertThat(tooMany).isLessThan((layout.fileSize() - 24) / 32);
        assertThat(rejected(withU64(bytes, 8, tooMany)))
                .contains("byte offset " + layout.tensorInfos(), "tensor count " + tooMany);
    }

    @ParameterizedTest(name = "key/value count {0}")
    @ValueSource(longs = {1L << 40, Long.MIN_VALUE, 10_000})
    void aKeyValueCountTheFileCannotHoldIsRejectedInTheHeader(long count) {
        assertThat(rejected(withU64(bytes, 16, count))).contains("byte offset 16", "key/value count");
    }

    // ---------------------------------------------------------------- metadata

    @Test
    void anAbsurdKeyLengthIsRejectedBeforeAllocating() {
        long field = layout.key("general.name").keyLength();
        assertThat(rejected(withU64(bytes, field, 1L << 40)))
                .contains("byte offset " + field, "string length 1099511627776", "bytes left");
    }

    @ParameterizedTest(name = "string length {0}")
    @ValueSource(longs = {1L << 40, -1L, 1_000_000})
    void anAbsurdStringValueLengthIsRejectedNamingTheKey(long length) {
        long field = layout.key("general.name").value();
        assertThat(rejected(withU64(bytes, field, length)))
                .contains("byte offset " + field, "'general.name'", "string length " + Long.toUnsignedString(length));
    }

    @ParameterizedTest(name = "array length {0}")
    @ValueSource(longs = {1L << 40, 1_000_000, Long.MIN_VALUE})
    void anAbsurdArrayLengthIsRejectedBeforeAllocating(long length) {
        long field = layout.key("tokenizer.ggml.tokens").value() + 4;
        assertThat(rejected(withU64(bytes, field, length)))
                .contains("byte offset " + field, "'tokenizer.ggml.tokens'", "array length");
    }

    @Test
    void anAbsurdLengthOfANestedArrayIsRejected() {
        long innerCount = layout.key("nested").value() + 4 + 8 + 4; // outer type, outer count, inner type
        assertThat(rejected(withU64(bytes, innerCount, 1L << 40)))
                .contains("byte offset " + innerCount, "'nested'", "array length 1099511627776");
    }

    @ParameterizedTest(name = "value type id {0}")
    @ValueSource(longs = {13, 255, 0xFFFF_FFFFL})
    void anUnknownValueTypeIsRejectedNamingTheKey(long typeId) {
        long field = layout.key("eps").valueType();
        assertThat(rejected(withU32(bytes, field, typeId)))
                .contains("byte offset " + field, "'eps'", "unknown metadata value type id " + typeId);
    }

    @Test
    void aVeryLongKeyIsShortenedInTheMessage() {
        String longKey = "k".repeat(100_000);
        GgufWriter withLongKey = new GgufWriter().putInt32(longKey, 1);
        long field = withLongKey.layout().key(longKey).valueType();
        String message = rejected(withU32(withLongKey.toBytes(), field, 99));
        assertThat(message).contains("byte offset " + field, "(100000 chars)").hasSizeLessThan(1_000);
    }

    @Test
    void anUnknownArrayElementTypeIsRejectedNamingTheKey() {
        long field = layout.key("tokenizer.ggml.tokens").value();
        assertThat(rejected(withU32(bytes, field, 99)))
                .contains("byte offset " + field, "'tokenizer.ggml.tokens'", "unknown metadata value type id 99");
    }

    @Test
    void aBooleanOtherThanZeroOrOneIsRejected() {
        byte[] corrupted = bytes.clone();
        long field = layout.key("flag").value();
        corrupted[(int) field] = 2;
        assertThat(rejected(corrupted)).contains("byte offset " + field, "'flag'", "boolean");
    }

    @Test
    void aDuplicateMetadataKeyIsRejected() {
        byte[] corrupted = bytes.clone();
        long keyTwo = layout.key("key.two").keyLength();
        byte[] name = "key.one".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, corrupted, (int) keyTwo + 8, name.length);
        assertThat(rejected(corrupted)).contains("byte offset " + keyTwo, "'key.one'", "duplicate metadata key");
    }

    @Test
    void arraysNestedBeyondTheCapAreRejectedInsteadOfExhaustingTheStack() throws IOException {
        assertThat(parses(new GgufWriter().put("deep", nestedArray(GgufFile.MAX_ARRAY_NESTING)))).isTrue();
        Path tooDeep = new GgufWriter().put("deep", nestedArray(GgufFile.MAX_ARRAY_NESTING + 1))
                .write(dir.resolve("deep.gguf"));
        assertThat(rejected(tooDeep)).contains("'deep'", "nested more than " + GgufFile.MAX_ARRAY_NESTING);
    }

    /** An int[] inside {@code levels - 1} Object[] wrappers: {@code levels} arrays in all. */
    private static Object nestedArray(int levels) {
        Object array = new int[] {42};
        for (int level = 1; level < levels; level++) {
            array = new Object[] {array};
        }
        return array;
    }

    @ParameterizedTest(name = "general.alignment {0}")
    @ValueSource(longs = {0, 3, 48, 1L << 31})
    void anAlignmentThatIsNotAPowerOfTwoIsRejected(long alignment) {
        Path path = validWriter().putUint32(GgufFile.ALIGNMENT_KEY, alignment).write(dir.resolve("align.gguf"));
        assertThat(rejected(path)).contains("'general.alignment'", "power of two");
    }

    @Test
    void anAlignmentThatIsNotAnIntegerIsRejected() {
        Path path = validWriter().putString(GgufFile.ALIGNMENT_KEY, "32").write(dir.resolve("align.gguf"));
        assertThat(rejected(path)).contains("'general.alignment'", "integer");
    }

    // ---------------------------------------------------------------- tensor infos

    @Test
    void aDuplicateTensorNameIsRejected() {
        byte[] corrupted = bytes.clone();
        long second = layout.tensor("attn_k.weight").nameLength();
        byte[] name = "attn_q.weight".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, corrupted, (int) second + 8, name.length);
        assertThat(rejected(corrupted)).contains("byte offset " + second, "'attn_q.weight'", "duplicate tensor");
    }

    @ParameterizedTest(name = "n_dims {0}")
    @ValueSource(longs = {0, 5, 0xFFFF_FFFFL})
    void aDimensionCountOutsideOneToFourIsRejected(long nDims) {
        long field = layout.tensor("norm.weight").nDims();
        assertThat(rejected(withU32(bytes, field, nDims)))
                .contains("byte offset " + field, "'norm.weight'", nDims + " dimensions");
    }

    @ParameterizedTest(name = "dim {0}")
    @ValueSource(longs = {0, -1, Long.MIN_VALUE})
    void aZeroOrNegativeDimensionIsRejected(long dim) {
        long field = layout.tensor("attn_k.weight").dims() + 8; // the second dim
        assertThat(rejected(withU64(bytes, field, dim)))
                .contains("byte offset " + field, "'attn_k.weight'", "dimension 1 is " + Long.toUnsignedString(dim));
    }

    @Test
    void anElementCountThatOverflowsIsRejected() {
        long dims = layout.tensor("attn_q.weight").dims();
        assertThat(rejected(withU64(bytes, dims + 8, 1L << 62))) // 64 * 2^62 elements
                .contains("byte offset " + dims, "'attn_q.weight'", "fit in a long");
    }

    @Test
    void aByteSizeThatOverflowsIsRejected() {
        long dims = layout.tensor("attn_k.weight").dims();
        byte[] corrupted = withU64(withU64(bytes, dims, 64), dims + 8, 1L << 56); // 2^62 floats, 2^64 bytes
        assertThat(rejected(corrupted)).contains("byte offset " + dims, "'attn_k.weight'", "fit in a long");
    }

    @Test
    void aRowLongerThanAnIntCanIndexIsRejected() {
        long dims = layout.tensor("norm.weight").dims();
        assertThat(rejected(withU64(bytes, dims, 1L << 31)))
                .contains("byte offset " + dims, "'norm.weight'", "more than an int can index");
    }

    @Test
    void aRowLengthThatIsNotAMultipleOfTheBlockSizeIsRejected() {
        long dims = layout.tensor("attn_q.weight").dims();
        assertThat(rejected(withU64(bytes, dims, 48)))
                .contains("byte offset " + dims, "'attn_q.weight'", "not a multiple of the block size 32");
    }

    @ParameterizedTest(name = "type id {0}")
    @ValueSource(longs = {4, 5, 31, 64, 0xFFFF_FFFFL})
    void anUnknownTensorTypeIsRejected(long typeId) {
        long field = layout.tensor("norm.weight").type();
        assertThat(rejected(withU32(bytes, field, typeId)))
                .contains("byte offset " + field, "'norm.weight'", "unknown ggml tensor type id " + typeId);
    }

    @Test
    void anUnalignedTensorOffsetIsRejected() {
        long field = layout.tensor("attn_k.weight").offset();
        assertThat(rejected(withU64(bytes, field, 81)))
                .contains("byte offset " + field, "'attn_k.weight'", "not a multiple of the alignment 32");
    }

    @Test
    void aTensorOffsetWithTheTopBitSetIsRejected() {
        long field = layout.tensor("attn_k.weight").offset();
        assertThat(rejected(withU64(bytes, field, Long.MIN_VALUE)))
                .contains("byte offset " + field, "'attn_k.weight'", "9223372036854775808");
    }

    @Test
    void aTensorOffsetPastTheEndOfTheFileIsRejected() {
        long field = layout.tensor("norm.weight").offset();
        assertThat(rejected(withU64(bytes, field, 1L << 40)))
                .contains("'norm.weight'", "1099511627776", "past the end", "byte offset " + layout.dataOffset());
    }

    @Test
    void tensorDataCutShortByTheEndOfTheFileIsRejected() {
        long normStart = layout.tensor("norm.weight").data();
        assertThat(rejected(Arrays.copyOf(bytes, (int) normStart + 10)))
                .contains("'norm.weight'", "past the end", "byte offset " + layout.dataOffset());
    }

    @Test
    void aTensorTypeThatIsKnownButUnsupportedIsNotAParseError() {
        long dims = layout.tensor("norm.weight").dims();
        long type = layout.tensor("norm.weight").type();
        // norm.weight has 64 bytes of data; one Q8_1 block (32 elements, 36 bytes) fits in them.
        byte[] retyped = withU32(withU64(bytes, dims, 32), type, GgmlType.Q8_1.id());
        assertThat(parses(retyped)).isTrue();
    }

    // ---------------------------------------------------------------- sweeps

    @Test
    void everyTruncationEitherParsesOrIsAFormatError() throws IOException {
        long lastDataEnd = layout.tensor("norm.weight").data() + 64;
        Path path = dir.resolve("truncated.gguf");
        for (int length = 0; length <= bytes.length; length++) {
            Files.write(path, Arrays.copyOf(bytes, length));
            Throwable thrown = catchThrowable(() -> GgufFile.open(path).close());
            if (length >= lastDataEnd) {
                assertThat(thrown).as("cut at %d of %d bytes", length, bytes.length).isNull();
            } else {
                assertThat(thrown).as("cut at %d of %d bytes", length, bytes.length)
                        .isInstanceOf(GgufFormatException.class).hasMessageContaining(path.toString());
            }
        }
    }

    @Test
    void everySingleByteCorruptionOfTheHeaderEitherParsesOrIsAFormatError() throws IOException {
        Path path = dir.resolve("flipped.gguf");
        byte[] replacements = {0x00, (byte) 0xFF, 0x7F, (byte) 0x80, 0x01};
        for (int position = 0; position < layout.dataOffset(); position++) {
            for (byte replacement : replacements) {
                byte[] corrupted = bytes.clone();
                corrupted[position] = replacement;
                Files.write(path, corrupted);
                Throwable thrown = catchThrowable(() -> GgufFile.open(path).close());
                if (thrown != null && !(thrown instanceof GgufFormatException)) {
                    fail("byte " + position + " set to " + replacement + " threw " + thrown, thrown);
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private String rejected(byte[] corrupted) {
        Path path = dir.resolve("corrupt.gguf");
        try {
            Files.write(path, corrupted);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return rejected(path);
    }

    /** The message of the GgufFormatException opening {@code path} must throw; it must name the file. */
    private static String rejected(Path path) {
        Throwable thrown = catchThrowable(() -> GgufFile.open(path).close());
        assertThat(thrown).isInstanceOf(GgufFormatException.class).hasMessageContaining(path.toString());
        return thrown.getMessage();
    }

    private boolean parses(GgufWriter writer) {
        return parses(writer.toBytes());
    }

    private boolean parses(byte[] file) {
        Path path = dir.resolve("parses.gguf");
        try {
            Files.write(path, file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        GgufFile.open(path).close();
        return true;
    }

    private static byte[] withU32(byte[] original, long offset, long value) {
        byte[] copy = original.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt((int) offset, (int) value);
        return copy;
    }

    private static byte[] withU64(byte[] original, long offset, long value) {
        byte[] copy = original.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong((int) offset, value);
        return copy;
    }
}
