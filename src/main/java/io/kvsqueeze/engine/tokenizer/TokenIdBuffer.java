package io.kvsqueeze.engine.tokenizer;

import java.util.Arrays;

/** A growable list of token ids without boxing. */
final class TokenIdBuffer {
    private int[] ids = new int[32];
    private int size;

    void add(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
    }

    int[] toArray() {
        return Arrays.copyOf(ids, size);
    }
}
