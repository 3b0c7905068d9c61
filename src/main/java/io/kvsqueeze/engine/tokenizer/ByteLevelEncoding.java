package io.kvsqueeze.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character mapping: byte-level BPE vocabularies store every token as a string of
 * these stand-in characters, so that each of the 256 byte values is a printable, non-whitespace character.
 * Printable Latin-1 bytes stand for themselves; the other 68 (controls, space, DEL, NBSP, soft hyphen and the
 * C1 range) become U+0100 upwards, in byte order.
 */
final class ByteLevelEncoding {
    private static final char[] CHAR_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_CHAR;

    static {
        boolean[] standsForItself = new boolean[256];
        for (int b = 0; b < 256; b++) {
            standsForItself[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        }
        int nextStandIn = 256;
        for (int b = 0; b < 256; b++) {
            CHAR_OF_BYTE[b] = standsForItself[b] ? (char) b : (char) nextStandIn++;
        }
        BYTE_OF_CHAR = new int[nextStandIn];
        Arrays.fill(BYTE_OF_CHAR, -1);
        for (int b = 0; b < 256; b++) {
            BYTE_OF_CHAR[CHAR_OF_BYTE[b]] = b;
        }
    }

    private ByteLevelEncoding() {
    }

    static char charOfByte(int byteValue) {
        return CHAR_OF_BYTE[byteValue & 0xFF];
    }

    /** The byte that {@code codePoint} stands for, or -1 if it is not one of the 256 stand-in characters. */
    static int byteOfChar(int codePoint) {
        return codePoint >= 0 && codePoint < BYTE_OF_CHAR.length ? BYTE_OF_CHAR[codePoint] : -1;
    }

    /** {@code text}'s UTF-8 bytes as stand-in characters, one char per byte. */
    static String encode(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        char[] chars = new char[utf8.length];
        for (int i = 0; i < utf8.length; i++) {
            chars[i] = CHAR_OF_BYTE[utf8[i] & 0xFF];
        }
        return new String(chars);
    }
}
