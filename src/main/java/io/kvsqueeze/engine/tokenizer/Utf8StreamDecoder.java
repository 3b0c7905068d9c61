package io.kvsqueeze.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Turns generated token ids into text as they arrive. A token's bytes can end in the middle of a UTF-8
 * sequence (byte-level vocabularies split emoji and CJK characters over several tokens), so the bytes of a
 * character that is not complete yet are held back until a later token completes it: the text returned is
 * never cut inside a character, and no U+FFFD appears for a character that was merely split.
 *
 * <p>Bytes that no continuation could make valid (a stray continuation byte, an impossible lead byte) are
 * given out as U+FFFD straight away; an incomplete sequence still pending at {@link #finish()} becomes U+FFFD
 * then. Control tokens (e.g. {@code <|im_end|>}) give no text unless the decoder is made to render them, as
 * llama.cpp prints pieces with {@code special=false}.
 *
 * <p>Not thread-safe: one decoder per stream.
 */
public final class Utf8StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean renderSpecialTokens;
    private byte[] pending = new byte[16];
    private int pendingLength;

    /** A decoder that gives control tokens no text. */
    public Utf8StreamDecoder(Tokenizer tokenizer) {
        this(tokenizer, false);
    }

    /** @param renderSpecialTokens whether control tokens appear as their text, e.g. {@code <|im_end|>} */
    public Utf8StreamDecoder(Tokenizer tokenizer, boolean renderSpecialTokens) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.renderSpecialTokens = renderSpecialTokens;
    }

    /**
     * Adds one token and returns the text it completes: empty while a character is still incomplete, or
     * several characters when this token completes held-back bytes and adds more.
     */
    public String accept(int tokenId) {
        byte[] piece = tokenizer.tokenBytes(tokenId, renderSpecialTokens);
        if (pendingLength + piece.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + piece.length));
        }
        System.arraycopy(piece, 0, pending, pendingLength, piece.length);
        pendingLength += piece.length;
        return takeText(completeLength());
    }

    /** Returns whatever is still held back, an incomplete character as U+FFFD, and empties the decoder. */
    public String finish() {
        return takeText(pendingLength);
    }

    /** Whether bytes of an incomplete character are being held back. */
    public boolean hasPendingBytes() {
        return pendingLength > 0;
    }

    private String takeText(int length) {
        String text = new String(pending, 0, length, StandardCharsets.UTF_8); // malformed bytes become U+FFFD
        System.arraycopy(pending, length, pending, 0, pendingLength - length);
        pendingLength -= length;
        return text;
    }

    /**
     * The length of the pending bytes without a trailing sequence that is a valid but incomplete start of a
     * character. Such a sequence is at most three bytes: a lead byte and up to two continuation bytes.
     */
    private int completeLength() {
        for (int tailLength = 1; tailLength <= Math.min(3, pendingLength); tailLength++) {
            int start = pendingLength - tailLength;
            int lead = pending[start] & 0xFF;
            if (isContinuationByte(lead)) {
                continue;
            }
            boolean incompleteButValid = sequenceLength(lead) > tailLength && validSecondByte(start, tailLength);
            return incompleteButValid ? start : pendingLength;
        }
        return pendingLength;
    }

    private static boolean isContinuationByte(int b) {
        return (b & 0xC0) == 0x80;
    }

    /** The length of the UTF-8 sequence {@code lead} starts, or 0 if no valid sequence starts with it. */
    private static int sequenceLength(int lead) {
        if (lead < 0x80) {
            return 1;
        } else if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0; // C0, C1 (overlong) and F5..FF (beyond U+10FFFF) never start a character
    }

    /**
     * Whether the byte after the lead keeps the sequence valid: after E0, ED, F0 and F4 only part of the
     * continuation range is allowed (no overlong forms, no surrogates, nothing beyond U+10FFFF).
     */
    private boolean validSecondByte(int start, int available) {
        if (available < 2) {
            return true;
        }
        int lead = pending[start] & 0xFF;
        int second = pending[start + 1] & 0xFF;
        return switch (lead) {
            case 0xE0 -> second >= 0xA0 && second <= 0xBF;
            case 0xED -> second >= 0x80 && second <= 0x9F;
            case 0xF0 -> second >= 0x90 && second <= 0xBF;
            case 0xF4 -> second >= 0x80 && second <= 0x8F;
            default -> isContinuationByte(second);
        };
    }
}
