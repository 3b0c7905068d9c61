package io.kvsqueeze.engine.sampling;

import java.util.Objects;

/** Softmax over a slice of a float array, in place. */
public final class Softmax {
    private Softmax() {
    }

    /**
     * Replaces {@code x[offset .. offset+length)} with its softmax. Subtracting the maximum first keeps every
     * exponent at or below zero, so large logits cannot overflow to infinity; the sum is accumulated in double
     * so that tens of thousands of small terms do not lose precision.
     *
     * <p>{@code -Infinity} entries become probability 0 (masked tokens). A slice that is entirely
     * {@code -Infinity}, or that contains NaN or {@code +Infinity}, has no meaningful softmax and is rejected.
     */
    public static void softmax(float[] x, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, x.length);
        if (length == 0) {
            return;
        }
        int end = offset + length;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = offset; i < end; i++) {
            float value = x[i];
            if (Float.isNaN(value) || value == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("softmax input at index " + i + " is " + value);
            }
            if (value > max) {
                max = value;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("softmax of a slice that is entirely -Infinity is undefined");
        }
        double sum = 0;
        for (int i = offset; i < end; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        // sum >= 1 because the maximum contributes exp(0).
        float scale = (float) (1.0 / sum);
        for (int i = offset; i < end; i++) {
            x[i] *= scale;
        }
    }
}
