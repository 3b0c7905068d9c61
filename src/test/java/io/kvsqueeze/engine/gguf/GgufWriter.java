package io.kvsqueeze.engine.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes small GGUF files for tests, laid out byte for byte as ggml and gguf-py write them: header, key/values in
 * insertion order, tensor infos, zero padding to the alignment, then each tensor's data at an aligned offset
 * followed by zero padding to the alignment.
 *
 * <p>Values are given in the Java representation {@link GgufMetadata} documents. {@link #put} picks the GGUF
 * type from the Java type (Integer INT32, Long INT64, Float FLOAT32, Double FLOAT64, int[] INT32 array, long[]
 * INT64 array, ...); the {@code putUint32}-style methods and {@link #putArray} choose the exact type, which
 * matters because llama.cpp reads counts such as {@code llama.block_count} only as UINT32.
 *
 * <p>{@link #layout()} tells where every field went, so a test can corrupt exactly the byte it means to.
 */
public final class GgufWriter {
    private int version = 3;
    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    /**
     * A metadata value with its exact GGUF type. For {@link GgufValueType#ARRAY} the payload is a Java array
     * whose elements have type {@code elementType}; for an array of arrays it is an {@code Object[]} of
     * {@code Value}s (or of plain Java arrays, typed as {@link #put} would type them).
     */
    public record Value(GgufValueType type, GgufValueType elementType, Object payload) {
        public Value {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(payload, "payload");
            if ((type == GgufValueType.ARRAY) != (elementType != null)) {
                throw new IllegalArgumentException("an element type is given exactly for arrays");
            }
        }
    }

    private record Tensor(String name, GgmlType type, long[] dims, byte[] data) {
    }

    /** An array value with an explicit element type, to nest inside an array of arrays. */
    public static Value array(GgufValueType elementType, Object javaArray) {
        return new Value(GgufValueType.ARRAY, elementType, javaArray);
    }

    /** 2 or 3; both share one little-endian layout. */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version " + version + " cannot be written");
        }
        this.version = version;
        return this;
    }

    /** Sets {@code general.alignment} (as UINT32, like ggml); without it files use the default 32. */
    public GgufWriter alignment(int alignment) {
        if (alignment < 1 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        }
        return putUint32(GgufFile.ALIGNMENT_KEY, alignment);
    }

    public GgufWriter put(String key, Object value) {
        return putValue(key, value instanceof Value typed ? typed : inferred(value));
    }

    public GgufWriter putUint8(String key, int value) {
        return putValue(key, scalar(GgufValueType.UINT8, value));
    }

    public GgufWriter putInt8(String key, int value) {
        return putValue(key, scalar(GgufValueType.INT8, value));
    }

    public GgufWriter putUint16(String key, int value) {
        return putValue(key, scalar(GgufValueType.UINT16, value));
    }

    public GgufWriter putInt16(String key, int value) {
        return putValue(key, scalar(GgufValueType.INT16, value));
    }

    public GgufWriter putUint32(String key, long value) {
        return putValue(key, scalar(GgufValueType.UINT32, value));
    }

    public GgufWriter putInt32(String key, int value) {
        return putValue(key, scalar(GgufValueType.INT32, value));
    }

    /** The bits of {@code value}: negative values stand for those above Long.MAX_VALUE. */
    public GgufWriter putUint64(String key, long value) {
        return putValue(key, scalar(GgufValueType.UINT64, value));
    }

    public GgufWriter putInt64(String key, long value) {
        return putValue(key, scalar(GgufValueType.INT64, value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return putValue(key, new Value(GgufValueType.FLOAT32, null, value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return putValue(key, new Value(GgufValueType.FLOAT64, null, value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return putValue(key, new Value(GgufValueType.BOOL, null, value));
    }

    public GgufWriter putString(String key, String value) {
        return putValue(key, new Value(GgufValueType.STRING, null, value));
    }

    /**
     * An array of {@code elementType}. Integer element types take an int[] or long[] (UINT64 as bits),
     * FLOAT32 a float[], FLOAT64 a double[], BOOL a boolean[], STRING a String[], ARRAY an Object[] of
     * {@link #array} values or plain Java arrays.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, Object javaArray) {
        return putValue(key, array(elementType, javaArray));
    }

    /** Adds a tensor; {@code dims} in ggml order (row length first), {@code rawData} exactly its encoded bytes. */
    public GgufWriter tensor(String name, GgmlType type, long[] dims, byte[] rawData) {
        long byteSize = new GgufTensorInfo(name, dims, type, 0).byteSize();
        if (rawData.length != byteSize) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + Arrays.toString(dims)
                    + " takes " + byteSize + " bytes, got " + rawData.length);
        }
        if (tensors.stream().anyMatch(t -> t.name().equals(name))) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        tensors.add(new Tensor(name, type, dims.clone(), rawData.clone()));
        return this;
    }

    public Path write(Path path) {
        try {
            Files.write(path, toBytes());
            return path;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public byte[] toBytes() {
        return encode().bytes();
    }

    /** Where {@link #toBytes()} puts each field. */
    public Layout layout() {
        return encode().layout();
    }

    /**
     * File offsets of the fields written.
     *
     * @param tensorInfos offset of the first tensor info (just after the last key/value)
     * @param dataOffset  start of the data section, which tensor offsets are relative to
     */
    public record Layout(Map<String, KeyFields> keys, Map<String, TensorFields> tensors, long tensorInfos,
                         long dataOffset, long fileSize) {
        public KeyFields key(String key) {
            return Objects.requireNonNull(keys.get(key), () -> "no key " + key);
        }

        public TensorFields tensor(String name) {
            return Objects.requireNonNull(tensors.get(name), () -> "no tensor " + name);
        }
    }

    /**
     * @param keyLength the key's u64 length, followed by its bytes
     * @param valueType the u32 value type id
     * @param value     the value; for an array its u32 element type, then the u64 count at {@code value + 4},
     *                  then the elements at {@code value + 12}
     */
    public record KeyFields(long keyLength, long valueType, long value) {
    }

    /**
     * @param nameLength the name's u64 length, followed by its bytes
     * @param nDims      u32 number of dims
     * @param dims       the first u64 dim; dim {@code d} is at {@code dims + 8 * d}
     * @param type       u32 ggml type id
     * @param offset     u64 data offset relative to the data section
     * @param data       absolute file offset of the tensor's bytes
     */
    public record TensorFields(long nameLength, long nDims, long dims, long type, long offset, long data) {
    }

    // ---------------------------------------------------------------- encoding

    private record Encoded(byte[] bytes, Layout layout) {
    }

    /** TensorFields before the tensor's data position is known. */
    private record TensorInfoFields(long nameLength, long nDims, long dims, long type, long offset) {
    }

    private Encoded encode() {
        int alignment = effectiveAlignment();
        LittleEndianBytes out = new LittleEndianBytes();
        out.u32(GgufFile.MAGIC);
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());

        Map<String, KeyFields> keyFields = new LinkedHashMap<>();
        for (Map.Entry<String, Value> entry : metadata.entrySet()) {
            long keyLength = out.position();
            out.string(entry.getKey());
            long valueType = out.position();
            out.u32(entry.getValue().type().id());
            keyFields.put(entry.getKey(), new KeyFields(keyLength, valueType, out.position()));
            writeValue(out, entry.getValue());
        }

        long tensorInfos = out.position();
        long[] dataOffsets = new long[tensors.size()];
        long nextData = 0;
        for (int i = 0; i < tensors.size(); i++) {
            dataOffsets[i] = nextData;
            nextData = alignUp(nextData + tensors.get(i).data().length, alignment);
        }
        List<TensorInfoFields> infoFields = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Tensor tensor = tensors.get(i);
            long nameLength = out.position();
            out.string(tensor.name());
            long nDims = out.position();
            out.u32(tensor.dims().length);
            long dims = out.position();
            for (long dim : tensor.dims()) {
                out.u64(dim);
            }
            long type = out.position();
            out.u32(tensor.type().id());
            long offset = out.position();
            out.u64(dataOffsets[i]);
            infoFields.add(new TensorInfoFields(nameLength, nDims, dims, type, offset));
        }

        out.padTo(alignment);
        long dataOffset = out.position();
        Map<String, TensorFields> tensorFields = new LinkedHashMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            TensorInfoFields info = infoFields.get(i);
            tensorFields.put(tensors.get(i).name(), new TensorFields(info.nameLength(), info.nDims(), info.dims(),
                    info.type(), info.offset(), out.position()));
            out.bytes(tensors.get(i).data());
            out.padTo(alignment);
        }
        Layout layout = new Layout(keyFields, tensorFields, tensorInfos, dataOffset, out.position());
        return new Encoded(out.toByteArray(), layout);
    }

    private static void writeValue(LittleEndianBytes out, Value value) {
        if (value.type() == GgufValueType.ARRAY) {
            writeArray(out, value.elementType(), value.payload());
        } else {
            writeScalar(out, value.type(), value.payload());
        }
    }

    private static void writeArray(LittleEndianBytes out, GgufValueType elementType, Object javaArray) {
        out.u32(elementType.id());
        int length = Array.getLength(javaArray);
        out.u64(length);
        for (int i = 0; i < length; i++) {
            Object element = Array.get(javaArray, i);
            if (elementType == GgufValueType.ARRAY) {
                Value inner = element instanceof Value typed ? typed : inferred(element);
                if (inner.type() != GgufValueType.ARRAY) {
                    throw new IllegalArgumentException("element " + i + " of an array of arrays is " + element);
                }
                writeArray(out, inner.elementType(), inner.payload());
            } else {
                writeScalar(out, elementType, element);
            }
        }
    }

    private static void writeScalar(LittleEndianBytes out, GgufValueType type, Object value) {
        switch (type) {
            case UINT8, INT8, BOOL -> out.u8(type == GgufValueType.BOOL ? ((Boolean) value ? 1 : 0) : integer(value));
            case UINT16, INT16 -> out.u16(integer(value));
            case UINT32, INT32 -> out.u32(integer(value));
            case UINT64, INT64 -> out.u64(integer(value));
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) value));
            case STRING -> out.string((String) value);
            case ARRAY -> throw new IllegalArgumentException("an array is not a scalar");
        }
    }

    private static long integer(Object value) {
        return ((Number) value).longValue();
    }

    // ---------------------------------------------------------------- value typing

    private GgufWriter putValue(String key, Value value) {
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key '" + key + "' set twice");
        }
        checkRepresentable(value);
        metadata.put(key, value);
        return this;
    }

    private static Value scalar(GgufValueType type, long value) {
        checkRange(type, value);
        return new Value(type, null, value);
    }

    private static Value inferred(Object value) {
        return switch (value) {
            case Value typed -> typed;
            case Byte b -> scalar(GgufValueType.INT8, b);
            case Short s -> scalar(GgufValueType.INT16, s);
            case Integer i -> scalar(GgufValueType.INT32, i);
            case Long l -> scalar(GgufValueType.INT64, l);
            case Float f -> new Value(GgufValueType.FLOAT32, null, f);
            case Double d -> new Value(GgufValueType.FLOAT64, null, d);
            case Boolean b -> new Value(GgufValueType.BOOL, null, b);
            case String s -> new Value(GgufValueType.STRING, null, s);
            case int[] a -> array(GgufValueType.INT32, a);
            case long[] a -> array(GgufValueType.INT64, a);
            case float[] a -> array(GgufValueType.FLOAT32, a);
            case double[] a -> array(GgufValueType.FLOAT64, a);
            case boolean[] a -> array(GgufValueType.BOOL, a);
            case String[] a -> array(GgufValueType.STRING, a);
            case Object[] a -> array(GgufValueType.ARRAY, a);
            default -> throw new IllegalArgumentException("no GGUF type for " + value.getClass().getName());
        };
    }

    /** Fails now, at the put, rather than with a ClassCastException when the file is written. */
    private static void checkRepresentable(Value value) {
        if (value.type() != GgufValueType.ARRAY) {
            Class<?> expected = switch (value.type()) {
                case FLOAT32 -> Float.class;
                case FLOAT64 -> Double.class;
                case BOOL -> Boolean.class;
                case STRING -> String.class;
                default -> Long.class;
            };
            if (!expected.isInstance(value.payload())) {
                throw new IllegalArgumentException(value.type() + " needs a " + expected.getSimpleName()
                        + ", got " + value.payload().getClass().getSimpleName());
            }
            return;
        }
        Object array = value.payload();
        GgufValueType elementType = value.elementType();
        boolean fits = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 ->
                    array instanceof int[] || array instanceof long[];
            case FLOAT32 -> array instanceof float[];
            case FLOAT64 -> array instanceof double[];
            case BOOL -> array instanceof boolean[];
            case STRING -> array instanceof String[];
            case ARRAY -> array instanceof Object[] && !(array instanceof String[]);
        };
        if (!fits) {
            throw new IllegalArgumentException("an array of " + elementType + " cannot hold a "
                    + array.getClass().getSimpleName());
        }
        for (int i = 0; i < Array.getLength(array); i++) {
            Object element = Array.get(array, i);
            if (elementType == GgufValueType.ARRAY) {
                checkRepresentable(element instanceof Value typed ? typed : inferred(element));
            } else if (element instanceof Number n && !(element instanceof Float) && !(element instanceof Double)) {
                checkRange(elementType, n.longValue());
            } else if (element == null) {
                throw new IllegalArgumentException("element " + i + " is null");
            }
        }
    }

    private static void checkRange(GgufValueType type, long value) {
        boolean inRange = switch (type) {
            case UINT8 -> value >= 0 && value <= 0xFF;
            case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
            case UINT16 -> value >= 0 && value <= 0xFFFF;
            case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
            case UINT32 -> value >= 0 && value <= 0xFFFF_FFFFL;
            case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
            default -> true;
        };
        if (!inRange) {
            throw new IllegalArgumentException(value + " does not fit " + type);
        }
    }

    private int effectiveAlignment() {
        Value declared = metadata.get(GgufFile.ALIGNMENT_KEY);
        // A test may declare a bad alignment on purpose; the padding then uses it when it can.
        if (declared != null && declared.payload() instanceof Long alignment && alignment > 0
                && alignment <= 1 << 30) {
            return alignment.intValue();
        }
        return GgufFile.DEFAULT_ALIGNMENT;
    }

    private static long alignUp(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    /** A growable little-endian byte sink. */
    private static final class LittleEndianBytes {
        private byte[] bytes = new byte[256];
        private int size;

        long position() {
            return size;
        }

        void u8(long value) {
            ensure(1);
            bytes[size++] = (byte) value;
        }

        void u16(long value) {
            u8(value);
            u8(value >>> 8);
        }

        void u32(long value) {
            u16(value);
            u16(value >>> 16);
        }

        void u64(long value) {
            u32(value);
            u32(value >>> 32);
        }

        void string(String value) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            u64(utf8.length);
            bytes(utf8);
        }

        void bytes(byte[] data) {
            ensure(data.length);
            System.arraycopy(data, 0, bytes, size, data.length);
            size += data.length;
        }

        /** Zero bytes up to the next multiple of {@code alignment}, as ggml pads. */
        void padTo(int alignment) {
            int padded = (int) alignUp(size, alignment);
            ensure(padded - size);
            size = padded;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }
    }
}
