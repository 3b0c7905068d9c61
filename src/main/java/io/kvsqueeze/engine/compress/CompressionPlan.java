package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * The outcome of compressing one prompt: for every (layer, KV head) the sorted prompt positions to keep, and
 * the schedule that produced them. Positions are logical token positions (kv-compression.md §1.4): the engine
 * keeps them with the entries and gives new tokens positions from the prompt length on.
 */
public final class CompressionPlan {
    private final int promptLength;
    private final boolean compressed;
    private final int capacity;
    private final int sinks;
    private final int window;
    private final int[] layerBudgets;
    private final int[][] headBudgets;
    private final int[][][] kept;

    CompressionPlan(int promptLength, boolean compressed, int capacity, int sinks, int window, int[] layerBudgets,
                    int[][] headBudgets, int[][][] kept) {
        this.promptLength = promptLength;
        this.compressed = compressed;
        this.capacity = capacity;
        this.sinks = sinks;
        this.window = window;
        this.layerBudgets = layerBudgets;
        this.headBudgets = headBudgets;
        this.kept = kept;
    }

    /** Keep everything: the policy is full or the prompt fits the budget (§12.9.1). */
    static CompressionPlan uncompressed(int promptLength, int layers, int kvHeads, int capacity) {
        int[] all = new int[promptLength];
        for (int j = 0; j < promptLength; j++) {
            all[j] = j;
        }
        int[][][] kept = new int[layers][kvHeads][];
        int[][] headBudgets = new int[layers][kvHeads];
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < kvHeads; h++) {
                kept[l][h] = all;
                headBudgets[l][h] = promptLength;
            }
        }
        int[] layerBudgets = new int[layers];
        Arrays.fill(layerBudgets, promptLength);
        return new CompressionPlan(promptLength, false, capacity, 0, 0, layerBudgets, headBudgets, kept);
    }

    public int promptLength() {
        return promptLength;
    }

    /** False when every position is kept and the engine has nothing to do. */
    public boolean compressed() {
        return compressed;
    }

    public int layers() {
        return kept.length;
    }

    public int kvHeads() {
        return kept[0].length;
    }

    /** Sorted positions {@code kvHead} of {@code layer} keeps. Shared: do not modify. */
    public int[] kept(int layer, int kvHead) {
        return kept[layer][kvHead];
    }

    /** The average entries per (layer, KV head) the policy's budget asks for, sinks and window included. */
    public int capacity() {
        return capacity;
    }

    /** Leading positions every head keeps (sinks); 0 when uncompressed. */
    public int sinks() {
        return sinks;
    }

    /** Trailing positions every head keeps (observation or recent window); 0 when uncompressed. */
    public int window() {
        return window;
    }

    /** Per layer, the average number of positions its heads choose by score (besides sinks and window). */
    public int layerBudget(int layer) {
        return layerBudgets[layer];
    }

    /** Positions {@code kvHead} of {@code layer} chooses by score: its kept length minus sinks and window. */
    public int headBudget(int layer, int kvHead) {
        return headBudgets[layer][kvHead];
    }

    /**
     * The entries the head may hold during generation with decode-time eviction: its kept length when
     * compressed, the policy's capacity otherwise (the prompt fitted, so the cache may grow up to the budget).
     */
    public int decodeCapacity(int layer, int kvHead) {
        return compressed ? kept[layer][kvHead].length : Math.max(capacity, promptLength);
    }

    /** Entries kept over all layers and heads. */
    public long totalKept() {
        long total = 0;
        for (int[][] layer : kept) {
            for (int[] head : layer) {
                total += head.length;
            }
        }
        return total;
    }
}
