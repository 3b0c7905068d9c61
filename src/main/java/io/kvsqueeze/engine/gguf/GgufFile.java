package io.kvsqueeze.engine.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF (version 2 or 3) model file: its metadata and tensor list parsed into the heap, its tensor data mapped
 * read-only so weights are paged in by the OS instead of copied.
 *
 * <p>Layout, all little-endian: magic "GGUF", u32 version, u64 tensor count, u64 key/value count, the key/value
 * pairs, the tensor infos, zero padding up to the alignment, then the data section that tensor offsets are
 * relative to. Anything that does not fit this layout, or claims more bytes than the file has, is a
 * {@link GgufFormatException} naming the file and the byte offset, key or tensor at fault.
 *
 * <p>Closing the file unmaps the data: segments from {@link #tensorData} must not be used afterwards.
 */
public final class GgufFile implements AutoCloseable {
    /** "GGUF" read as a little-endian u32. */
    public static final int MAGIC = 0x46554747;
    public static final String ALIGNMENT_KEY = "general.alignment";
    public static final int DEFAULT_ALIGNMENT = 32;

    /** Larger alignments would only pad; this also keeps the padded data offset far from overflow. */
    private static final int MAX_ALIGNMENT = 1 << 30;
    /** Model files nest arrays at most once; a cap stops a small file from nesting deep enough to exhaust the stack. */
    static final int MAX_ARRAY_NESTING = 16;
    /** An empty key (u64 length), a value type (u32) and the smallest value (one byte). */
    private static final int MIN_KEY_VALUE_BYTES = 8 + 4 + 1;
    /** An empty name (u64 length), n_dims (u32), one dim (u64), type (u32), offset (u64). */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

    private final Path path;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final int alignment;
    private final long dataOffset;
    private final Arena arena;
    private final MemorySegment data;

    private GgufFile(Path path, int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, int alignment,
                     long dataOffset, Arena arena, MemorySegment data) {
        this.path = path;
        this.version = version;
        this.metadata = metadata;
        this.tensors = Collections.unmodifiableList(tensors);
        this.tensorsByName = new HashMap<>();
        for (GgufTensorInfo tensor : tensors) {
            tensorsByName.put(tensor.name(), tensor);
        }
        this.alignment = alignment;
        this.dataOffset = dataOffset;
        this.arena = arena;
        this.data = data;
    }

    /**
     * Parses the header, metadata and tensor infos and maps the data section.
     *
     * @throws GgufFormatException  if the file is not a well-formed GGUF v2/v3 file
     * @throws UncheckedIOException if the file cannot be opened, read or mapped
     */
    public static GgufFile open(Path path) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            GgufByteReader in = new GgufByteReader(channel, path.toString());
            int version = readMagicAndVersion(in);
            int tensorCount = in.count("tensor count", MIN_TENSOR_INFO_BYTES);
            int keyValueCount = in.count("metadata key/value count", MIN_KEY_VALUE_BYTES);
            GgufMetadata metadata = readMetadata(in, keyValueCount);
            int alignment = alignmentOf(metadata);
            List<GgufTensorInfo> tensors = readTensorInfos(in, tensorCount, alignment);

            long dataOffset = alignUp(in.position(), alignment);
            long dataSize = Math.max(0, in.fileSize() - dataOffset);
            checkTensorsInsideData(path, tensors, dataOffset, dataSize);
            return mapData(path, channel, version, metadata, tensors, alignment, dataOffset, dataSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read GGUF file " + path + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- parsing, in file order

    private static int readMagicAndVersion(GgufByteReader in) {
        int magic = in.i32();
        if (magic != MAGIC) {
            throw in.error(0, String.format("not a GGUF file: it starts with 0x%08x, expected 0x%08x (\"GGUF\")",
                    Integer.reverseBytes(magic), Integer.reverseBytes(MAGIC)));
        }
        int version = in.i32();
        if (version == 2 || version == 3) {
            return version;
        }
        if (version == 1) {
            throw in.error(4, "GGUF version 1 is not supported (it predates 64-bit counts); "
                    + "convert the model again with a current llama.cpp");
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped == 2 || swapped == 3) {
            throw in.error(4, "big-endian GGUF files are not supported");
        }
        throw in.error(4, "unsupported GGUF version " + Integer.toUnsignedString(version)
                + ", this reader handles versions 2 and 3");
    }

    private static GgufMetadata readMetadata(GgufByteReader in, int keyValueCount) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (int i = 0; i < keyValueCount; i++) {
            in.reading("metadata entry #" + i, null);
            long keyOffset = in.position();
            String key = in.string();
            in.reading("metadata key", key);
            if (values.containsKey(key)) {
                throw in.error(keyOffset, "duplicate metadata key");
            }
            values.put(key, readValue(in, readValueType(in), 0));
        }
        return new GgufMetadata(in.source(), values);
    }

    private static GgufValueType readValueType(GgufByteReader in) {
        long offset = in.position();
        long id = in.u32();
        GgufValueType type = GgufValueType.byId(id);
        if (type == null) {
            throw in.error(offset, "unknown metadata value type id " + id);
        }
        return type;
    }

    /** One value in the Java representation documented on {@link GgufMetadata}. */
    private static Object readValue(GgufByteReader in, GgufValueType type, int arrayDepth) {
        return switch (type) {
            case UINT8 -> (long) in.u8();
            case INT8 -> (long) in.i8();
            case UINT16 -> (long) in.u16();
            case INT16 -> (long) in.i16();
            case UINT32 -> in.u32();
            case INT32 -> (long) in.i32();
            case FLOAT32 -> in.f32();
            case BOOL -> in.bool();
            case STRING -> in.string();
            case ARRAY -> readArray(in, arrayDepth + 1);
            case UINT64, INT64 -> in.i64();
            case FLOAT64 -> in.f64();
        };
    }

    private static Object readArray(GgufByteReader in, int depth) {
        long offset = in.position();
        if (depth > MAX_ARRAY_NESTING) {
            throw in.error(offset, "arrays nested more than " + MAX_ARRAY_NESTING + " deep");
        }
        GgufValueType elementType = readValueType(in);
        int length = in.count("array length", elementType.minEncodedBytes());
        return switch (elementType) {
            case UINT8, INT8, UINT16, INT16, INT32 -> readIntArray(in, elementType, length);
            case UINT32, UINT64, INT64 -> readLongArray(in, elementType, length);
            case FLOAT32 -> readFloatArray(in, length);
            case FLOAT64 -> readDoubleArray(in, length);
            case BOOL -> readBooleanArray(in, length);
            case STRING -> readStringArray(in, length);
            case ARRAY -> readArrayOfArrays(in, length, depth);
        };
    }

    private static int[] readIntArray(GgufByteReader in, GgufValueType elementType, int length) {
        int[] array = new int[length];
        for (int i = 0; i < length; i++) {
            array[i] = switch (elementType) {
                case UINT8 -> in.u8();
                case INT8 -> in.i8();
                case UINT16 -> in.u16();
                case INT16 -> in.i16();
                default -> in.i32();
            };
        }
        return array;
    }

    /** UINT32 widened to long so it stays unsigned; UINT64 and INT64 as their bits. */
    private static long[] readLongArray(GgufByteReader in, GgufValueType elementType, int length) {
        long[] array = new long[length];
        for (int i = 0; i < length; i++) {
            array[i] = elementType == GgufValueType.UINT32 ? in.u32() : in.i64();
        }
        return array;
    }

    private static float[] readFloatArray(GgufByteReader in, int length) {
        float[] array = new float[length];
        for (int i = 0; i < length; i++) {
            array[i] = in.f32();
        }
        return array;
    }

    private static double[] readDoubleArray(GgufByteReader in, int length) {
        double[] array = new double[length];
        for (int i = 0; i < length; i++) {
            array[i] = in.f64();
        }
        return array;
    }

    private static boolean[] readBooleanArray(GgufByteReader in, int length) {
        boolean[] array = new boolean[length];
        for (int i = 0; i < length; i++) {
            array[i] = in.bool();
        }
        return array;
    }

    private static String[] readStringArray(GgufByteReader in, int length) {
        String[] array = new String[length];
        for (int i = 0; i < length; i++) {
            array[i] = in.string();
        }
        return array;
    }

    /** Each element is a complete array with its own element type, so they may differ. */
    private static Object[] readArrayOfArrays(GgufByteReader in, int length, int depth) {
        Object[] array = new Object[length];
        for (int i = 0; i < length; i++) {
            array[i] = readArray(in, depth + 1);
        }
        return array;
    }

    private static int alignmentOf(GgufMetadata metadata) {
        Object value = metadata.asMap().get(ALIGNMENT_KEY);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof Long alignment)) {
            throw new GgufFormatException(metadata.source() + ": metadata key '" + ALIGNMENT_KEY
                    + "' should be an integer but is " + value.getClass().getSimpleName());
        }
        if (alignment < 1 || alignment > MAX_ALIGNMENT || Long.bitCount(alignment) != 1) {
            throw new GgufFormatException(metadata.source() + ": metadata key '" + ALIGNMENT_KEY + "' is "
                    + Long.toUnsignedString(alignment) + ", expected a power of two from 1 to " + MAX_ALIGNMENT);
        }
        return alignment.intValue();
    }

    private static List<GgufTensorInfo> readTensorInfos(GgufByteReader in, int tensorCount, int alignment) {
        // The count passed a loose bound before the metadata was read; now the tensor infos alone must fit.
        if (tensorCount > in.bytesLeft() / MIN_TENSOR_INFO_BYTES) {
            in.reading("tensor infos", null);
            throw in.error(in.position(), "tensor count " + tensorCount + " needs at least "
                    + (long) tensorCount * MIN_TENSOR_INFO_BYTES + " bytes of tensor infos but only "
                    + in.bytesLeft() + " bytes are left in the file");
        }
        List<GgufTensorInfo> tensors = new ArrayList<>(tensorCount);
        Map<String, Long> infoOffsetByName = new HashMap<>();
        for (int i = 0; i < tensorCount; i++) {
            in.reading("tensor info #" + i, null);
            long infoOffset = in.position();
            String name = in.string();
            in.reading("tensor", name);
            Long earlier = infoOffsetByName.putIfAbsent(name, infoOffset);
            if (earlier != null) {
                throw in.error(infoOffset, "duplicate tensor name, first listed at byte offset " + earlier);
            }
            tensors.add(readTensorInfoAfterName(in, name, alignment));
        }
        return tensors;
    }

    private static GgufTensorInfo readTensorInfoAfterName(GgufByteReader in, String name, int alignment) {
        long nDimsOffset = in.position();
        long nDims = in.u32();
        if (nDims < 1 || nDims > GgufTensorInfo.MAX_DIMS) {
            throw in.error(nDimsOffset, "tensor has " + nDims + " dimensions, expected 1 to "
                    + GgufTensorInfo.MAX_DIMS);
        }
        long dimsOffset = in.position();
        long[] dims = new long[(int) nDims];
        for (int d = 0; d < dims.length; d++) {
            dims[d] = in.i64();
            if (dims[d] < 1) {
                throw in.error(dimsOffset + 8L * d, "dimension " + d + " is " + Long.toUnsignedString(dims[d])
                        + ", expected 1 to " + Long.MAX_VALUE);
            }
        }
        long typeOffset = in.position();
        long typeId = in.u32();
        GgmlType type = typeId < Integer.MAX_VALUE ? GgmlType.byId((int) typeId) : null;
        if (type == null) {
            throw in.error(typeOffset, "unknown ggml tensor type id " + typeId);
        }
        long offsetOffset = in.position();
        long offset = in.i64();
        if (offset < 0) {
            throw in.error(offsetOffset, "data offset " + Long.toUnsignedString(offset)
                    + " is beyond the end of any file");
        }
        if (offset % alignment != 0) {
            throw in.error(offsetOffset, "data offset " + offset + " is not a multiple of the alignment "
                    + alignment);
        }
        try {
            return new GgufTensorInfo(name, dims, type, offset);
        } catch (IllegalArgumentException shapeDoesNotFitType) {
            throw in.error(dimsOffset, shapeDoesNotFitType.getMessage());
        }
    }

    private static long alignUp(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static void checkTensorsInsideData(Path path, List<GgufTensorInfo> tensors, long dataOffset,
                                               long dataSize) {
        for (GgufTensorInfo tensor : tensors) {
            if (tensor.offset() > dataSize || tensor.byteSize() > dataSize - tensor.offset()) {
                throw new GgufFormatException(path + ": tensor '" + tensor.name() + "' (" + tensor.byteSize()
                        + " bytes at data offset " + tensor.offset() + ") extends past the end of the file: "
                        + "the data section starts at byte offset " + dataOffset + " and holds " + dataSize
                        + " bytes");
            }
        }
    }

    private static GgufFile mapData(Path path, FileChannel channel, int version, GgufMetadata metadata,
                                    List<GgufTensorInfo> tensors, int alignment, long dataOffset, long dataSize)
            throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment data = dataSize == 0
                    ? MemorySegment.NULL
                    : channel.map(FileChannel.MapMode.READ_ONLY, dataOffset, dataSize, arena);
            return new GgufFile(path, version, metadata, tensors, alignment, dataOffset, arena, data);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- API

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** All tensors in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public GgufTensorInfo requireTensor(String name) {
        GgufTensorInfo tensor = tensorsByName.get(name);
        if (tensor == null) {
            throw new GgufFormatException(path + ": tensor '" + name + "' is missing");
        }
        return tensor;
    }

    /** The tensor's bytes inside the read-only mapping; valid until {@link #close()}. */
    public MemorySegment tensorData(GgufTensorInfo tensor) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor + " is not listed in " + path);
        }
        if (!arena.scope().isAlive()) {
            throw new IllegalStateException(path + " is closed");
        }
        return data.asSlice(tensor.offset(), tensor.byteSize());
    }

    /** File offset of the data section that tensor offsets are relative to. */
    public long dataOffset() {
        return dataOffset;
    }

    public int alignment() {
        return alignment;
    }

    /** Unmaps the tensor data; metadata and tensor infos stay readable. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + tensors.size() + " tensors, "
                + metadata.asMap().size() + " metadata keys]";
    }
}
