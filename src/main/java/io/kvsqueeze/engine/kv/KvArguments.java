package io.kvsqueeze.engine.kv;

/** Argument checks and searches shared by the stores, with messages that say what was wrong. */
final class KvArguments {
    private KvArguments() {
    }

    /** Index of the first of the ascending {@code positions[0..length)} that is at or after {@code position}. */
    static int firstAtOrAfter(int[] positions, int length, int position) {
        int low = 0;
        int high = length;
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (positions[mid] < position) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    static int checkIndex(int index, int length) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("entry " + index + " of a head holding " + length);
        }
        return index;
    }

    static void checkVisible(int visible, int length) {
        if (visible < 0 || visible > length) {
            throw new IndexOutOfBoundsException(visible + " visible entries in a head holding " + length);
        }
    }

    static void checkKeep(int[] keep, int count, int length) {
        if (count < 0 || count > keep.length) {
            throw new IllegalArgumentException("keep count " + count + " outside the array of " + keep.length);
        }
        int previous = -1;
        for (int j = 0; j < count; j++) {
            if (keep[j] <= previous || keep[j] >= length) {
                throw new IllegalArgumentException("indices to keep must be strictly ascending in [0, " + length
                        + "): " + keep[j] + " at " + j + (j > 0 ? " after " + previous : ""));
            }
            previous = keep[j];
        }
    }
}
