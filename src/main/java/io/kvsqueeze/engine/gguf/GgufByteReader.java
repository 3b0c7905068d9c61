package io.kvsqueeze.engine.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian reads of the GGUF header through one large buffer, so that a vocabulary of 100k strings costs a
 * few dozen channel reads instead of 200k.
 *
 * <p>Every read first checks the bytes left in the file, so a truncated or lying file becomes a
 * {@link GgufFormatException} naming the file, the byte offset and the item being read, and no length read from
 * the file is used to allocate before it has been bounded by the bytes that could actually hold it.
 */
final class GgufByteReader {
    /** Java arrays cannot reliably be longer than this (the VM reserves a few header words). */
    static final int MAX_JAVA_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final int BUFFER_BYTES = 1 << 20;

    private final FileChannel channel;
    private final String source;
    private final long fileSize;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    /** File offset of buffer index 0; the buffer holds file bytes [bufferStart, bufferStart + limit). */
    private long bufferStart;

    /** What is being read, for error messages: e.g. "metadata key" and "general.name". */
    private String itemKind = "header";
    private String itemName;

    GgufByteReader(FileChannel channel, String source) throws IOException {
        this.channel = channel;
        this.source = source;
        this.fileSize = channel.size();
        buffer.limit(0);
    }

    String source() {
        return source;
    }

    long fileSize() {
        return fileSize;
    }

    long position() {
        return bufferStart + buffer.position();
    }

    long bytesLeft() {
        return fileSize - position();
    }

    /** Names the item the next reads belong to; errors mention it. */
    void reading(String kind, String name) {
        this.itemKind = kind;
        this.itemName = name;
    }

    int u8() {
        need(1, "a byte");
        return buffer.get() & 0xFF;
    }

    byte i8() {
        need(1, "a byte");
        return buffer.get();
    }

    int u16() {
        need(2, "a 16-bit value");
        return buffer.getChar();
    }

    short i16() {
        need(2, "a 16-bit value");
        return buffer.getShort();
    }

    long u32() {
        return i32() & 0xFFFF_FFFFL;
    }

    int i32() {
        need(4, "a 32-bit value");
        return buffer.getInt();
    }

    /** A u64 or i64; u64 values above Long.MAX_VALUE come back negative (same bits). */
    long i64() {
        need(8, "a 64-bit value");
        return buffer.getLong();
    }

    float f32() {
        need(4, "a 32-bit float");
        return buffer.getFloat();
    }

    double f64() {
        need(8, "a 64-bit float");
        return buffer.getDouble();
    }

    boolean bool() {
        long offset = position();
        int value = u8();
        if (value > 1) {
            throw error(offset, "boolean byte is " + value + ", expected 0 or 1");
        }
        return value == 1;
    }

    /** A u64 byte length followed by that many UTF-8 bytes; malformed UTF-8 becomes U+FFFD. */
    String string() {
        long offset = position();
        long length = i64();
        if (length < 0 || length > bytesLeft()) {
            throw error(offset, "string length " + Long.toUnsignedString(length) + " exceeds the "
                    + bytesLeft() + " bytes left in the file");
        }
        if (length > MAX_JAVA_ARRAY_LENGTH) {
            throw error(offset, "string length " + length + " is larger than this reader supports");
        }
        // Vocabularies hold empty strings; sharing one keeps a file of them from costing a String each.
        return length == 0 ? "" : new String(bytes((int) length), StandardCharsets.UTF_8);
    }

    /**
     * A u64 element count that must be followed by at least {@code minBytesPerElement} bytes per element, so
     * that a count the file cannot hold is rejected before anything is allocated for it.
     */
    int count(String what, int minBytesPerElement) {
        long offset = position();
        long count = i64();
        long canHold = bytesLeft() / minBytesPerElement;
        if (count < 0 || count > canHold) {
            throw error(offset, what + " " + Long.toUnsignedString(count) + " is more than the " + bytesLeft()
                    + " bytes left in the file can hold (at least " + minBytesPerElement + " bytes each)");
        }
        if (count > MAX_JAVA_ARRAY_LENGTH) {
            throw error(offset, what + " " + count + " is larger than this reader supports");
        }
        return (int) count;
    }

    GgufFormatException error(long offset, String message) {
        String item = itemName == null ? itemKind : itemKind + " '" + shortened(itemName) + "'";
        return new GgufFormatException(source + ": byte offset " + offset + " (" + item + "): " + message);
    }

    /** A corrupt file can hold a megabyte-long key; an error message should still be one line. */
    private static String shortened(String name) {
        int limit = 200;
        return name.length() <= limit ? name : name.substring(0, limit) + "... (" + name.length() + " chars)";
    }

    private byte[] bytes(int length) {
        need(Math.min(length, BUFFER_BYTES), "string bytes");
        byte[] bytes = new byte[length];
        int fromBuffer = Math.min(length, buffer.remaining());
        buffer.get(bytes, 0, fromBuffer);
        if (fromBuffer < length) {
            readPastBuffer(bytes, fromBuffer);
        }
        return bytes;
    }

    /** Reads the rest of a string longer than the buffer straight from the channel, leaving the buffer empty. */
    private void readPastBuffer(byte[] bytes, int filled) {
        long fileOffset = position();
        ByteBuffer target = ByteBuffer.wrap(bytes, filled, bytes.length - filled);
        while (target.hasRemaining()) {
            int read = readAt(target, fileOffset + target.position() - filled);
            if (read < 0) {
                throw truncated(target.remaining(), "string bytes");
            }
        }
        bufferStart = fileOffset + (bytes.length - filled);
        buffer.clear().limit(0);
    }

    private void need(int byteCount, String what) {
        if (buffer.remaining() >= byteCount) {
            return;
        }
        if (bytesLeft() < byteCount) {
            throw truncated(byteCount, what);
        }
        refill(byteCount, what);
    }

    /** Keeps the unread bytes, moves them to the buffer start, and reads until at least byteCount are there. */
    private void refill(int byteCount, String what) {
        bufferStart += buffer.position();
        buffer.compact();
        while (buffer.position() < byteCount) {
            int read = readAt(buffer, bufferStart + buffer.position());
            if (read < 0) {
                // The file shrank after we measured it.
                buffer.flip();
                throw truncated(byteCount, what);
            }
        }
        buffer.flip();
    }

    private int readAt(ByteBuffer target, long fileOffset) {
        try {
            return channel.read(target, fileOffset);
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": cannot read at byte offset " + fileOffset + ": "
                    + e.getMessage(), e);
        }
    }

    private GgufFormatException truncated(int byteCount, String what) {
        return error(position(), "file truncated: needed " + byteCount + " bytes for " + what
                + " but the file ends at byte " + fileSize);
    }
}
