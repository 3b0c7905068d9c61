package io.kvsqueeze.engine.sampling;

import java.util.Collection;
import java.util.Optional;

/**
 * Watches streamed text for stop strings and says how much of it may be shown.
 *
 * <p>Text that could still turn out to be the start of a stop string is held back until later text rules that
 * out; so a caller that prints only what {@link #append} hands out never shows any part of a stop string. When
 * a stop string completes, everything before it is handed out and the rest is dropped.
 *
 * <p>The result does not depend on how the text is cut into chunks: the stop string that wins is the one that
 * completes first in the text, and of those completing at the same character, the longest (it starts earliest,
 * so the least text is shown). Strings are compared as UTF-16 code units, which for well-formed strings is the
 * same as comparing code points; a trailing high surrogate is held back so a code point is never split.
 *
 * <p>One instance per generation ({@link #reset} to reuse); not thread-safe. After the first call the only
 * allocation is the pending buffer growing, which it rarely does: it holds at most the longest stop string plus
 * one chunk.
 */
public final class StopSequences {
    private final String[] stopStrings;
    private final int longestStopLength;
    /** Text received but not yet handed out. */
    private final StringBuilder pending = new StringBuilder();
    private String matchedStop;

    public StopSequences(Collection<String> stopStrings) {
        this.stopStrings = stopStrings.toArray(String[]::new);
        int longest = 0;
        for (String stop : this.stopStrings) {
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings must be non-empty, got " + stopStrings);
            }
            longest = Math.max(longest, stop.length());
        }
        this.longestStopLength = longest;
    }

    /**
     * Feeds the next piece of generated text and appends to {@code emitted} whatever is now safe to show.
     *
     * @return true when a stop string has completed: generation should end, and {@code emitted} has received all
     *         the text before the stop string
     * @throws IllegalStateException if a stop string has already completed
     */
    public boolean append(CharSequence chunk, StringBuilder emitted) {
        if (matchedStop != null) {
            throw new IllegalStateException("already stopped at " + quoted(matchedStop) + "; reset() to reuse");
        }
        int previousLength = pending.length();
        pending.append(chunk);
        int length = pending.length();

        // A stop string ending within the text held before this chunk would already have been found.
        for (int end = previousLength + 1; end <= length; end++) {
            String stop = longestStopEndingAt(end);
            if (stop != null) {
                emitted.append(pending, 0, end - stop.length());
                pending.setLength(0);
                matchedStop = stop;
                return true;
            }
        }

        int holdFrom = startOfPossibleStop(length);
        // Only reachable with a stop string that begins with a lone low surrogate; never split a pair anyway.
        if (holdFrom > 0 && holdFrom < length && Character.isLowSurrogate(pending.charAt(holdFrom))
                && Character.isHighSurrogate(pending.charAt(holdFrom - 1))) {
            holdFrom--;
        }
        emitted.append(pending, 0, holdFrom);
        pending.delete(0, holdFrom);
        return false;
    }

    /**
     * Generation ended without a stop string (length limit, end-of-sequence token): hands out the held-back text,
     * since it can no longer become a stop string.
     */
    public void finish(StringBuilder emitted) {
        emitted.append(pending);
        pending.setLength(0);
    }

    /** The stop string that ended the text, if one did. */
    public Optional<String> matchedStop() {
        return Optional.ofNullable(matchedStop);
    }

    public boolean stopped() {
        return matchedStop != null;
    }

    /** How many characters are currently held back. */
    public int heldBackLength() {
        return pending.length();
    }

    /** Forgets all text and any match, for the next generation with the same stop strings. */
    public void reset() {
        pending.setLength(0);
        matchedStop = null;
    }

    private String longestStopEndingAt(int end) {
        String found = null;
        for (String stop : stopStrings) {
            int start = end - stop.length();
            boolean longerThanFound = found == null || stop.length() > found.length();
            if (start >= 0 && longerThanFound && pendingMatches(stop, start, stop.length())) {
                found = stop;
            }
        }
        return found;
    }

    /**
     * The first position from which the rest of the pending text is a proper prefix of some stop string (it
     * cannot be a whole one, or {@link #append} would have stopped), or the length when there is none; a
     * trailing high surrogate is held back as well, waiting for its low half.
     */
    private int startOfPossibleStop(int length) {
        for (int start = Math.max(0, length - longestStopLength + 1); start < length; start++) {
            int suffixLength = length - start;
            for (String stop : stopStrings) {
                if (suffixLength < stop.length() && pendingMatches(stop, start, suffixLength)) {
                    return start;
                }
            }
        }
        if (length > 0 && Character.isHighSurrogate(pending.charAt(length - 1))) {
            return length - 1;
        }
        return length;
    }

    /** Whether {@code pending[start .. start+count)} equals the first {@code count} chars of {@code stop}. */
    private boolean pendingMatches(String stop, int start, int count) {
        for (int i = 0; i < count; i++) {
            if (pending.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\n", "\\n") + "\"";
    }
}
