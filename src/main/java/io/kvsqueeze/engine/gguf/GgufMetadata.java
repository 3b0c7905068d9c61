package io.kvsqueeze.engine.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The key/value metadata of a GGUF file, with typed getters that name the key and the file on a mismatch.
 *
 * <p>Value representation: every scalar integer type is a {@link Long} (UINT64 values above
 * {@code Long.MAX_VALUE} keep their two's-complement bits), FLOAT32 a {@link Float}, FLOAT64 a {@link Double},
 * BOOL a {@link Boolean}, STRING a {@link String}. Arrays are typed Java arrays: STRING {@code String[]},
 * INT8..INT32 and UINT8..UINT16 {@code int[]}, UINT32/INT64/UINT64 {@code long[]}, FLOAT32 {@code float[]},
 * FLOAT64 {@code double[]}, BOOL {@code boolean[]}, arrays of arrays {@code Object[]}.
 */
public final class GgufMetadata {
    private final String source;
    private final Map<String, Object> values;

    public GgufMetadata(String source, Map<String, Object> values) {
        this.source = source;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Where the metadata came from (a file path), for error messages. */
    public String source() {
        return source;
    }

    public Map<String, Object> asMap() {
        return values;
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public String getString(String key) {
        return require(key, String.class);
    }

    public String getString(String key, String defaultValue) {
        return values.containsKey(key) ? getString(key) : defaultValue;
    }

    public long getLong(String key) {
        Object value = values.get(key);
        if (value instanceof Long l) {
            return l;
        }
        throw mismatch(key, value, "an integer");
    }

    public long getLong(String key, long defaultValue) {
        return values.containsKey(key) ? getLong(key) : defaultValue;
    }

    public int getInt(String key) {
        long value = getLong(key);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new GgufFormatException(source + ": metadata '" + key + "' = " + value + " does not fit an int");
        }
        return (int) value;
    }

    public int getInt(String key, int defaultValue) {
        return values.containsKey(key) ? getInt(key) : defaultValue;
    }

    /** FLOAT32 and FLOAT64 values, and integers, as a float. */
    public float getFloat(String key) {
        Object value = values.get(key);
        if (value instanceof Number n) {
            return n.floatValue();
        }
        throw mismatch(key, value, "a number");
    }

    public float getFloat(String key, float defaultValue) {
        return values.containsKey(key) ? getFloat(key) : defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        if (!values.containsKey(key)) {
            return defaultValue;
        }
        return require(key, Boolean.class);
    }

    public String[] getStringArray(String key) {
        return require(key, String[].class);
    }

    /** Integer arrays of any width as int[]; fails if a value does not fit. */
    public int[] getIntArray(String key) {
        Object value = values.get(key);
        if (value instanceof int[] ints) {
            return ints;
        }
        if (value instanceof long[] longs) {
            int[] ints = new int[longs.length];
            for (int i = 0; i < longs.length; i++) {
                if (longs[i] < Integer.MIN_VALUE || longs[i] > Integer.MAX_VALUE) {
                    throw new GgufFormatException(source + ": metadata '" + key + "'[" + i + "] does not fit an int");
                }
                ints[i] = (int) longs[i];
            }
            return ints;
        }
        throw mismatch(key, value, "an integer array");
    }

    public float[] getFloatArray(String key) {
        return require(key, float[].class);
    }

    private <T> T require(String key, Class<T> type) {
        Object value = values.get(key);
        if (type.isInstance(value)) {
            return type.cast(value);
        }
        throw mismatch(key, value, type.getSimpleName());
    }

    private GgufFormatException mismatch(String key, Object value, String expected) {
        if (value == null) {
            return new GgufFormatException(source + ": metadata key '" + key + "' is missing");
        }
        return new GgufFormatException(source + ": metadata key '" + key + "' should be " + expected
                + " but is " + value.getClass().getSimpleName());
    }
}
