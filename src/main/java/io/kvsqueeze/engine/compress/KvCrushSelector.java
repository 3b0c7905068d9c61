package io.kvsqueeze.engine.compress;

import java.util.Arrays;

/**
 * KVCrush selection for one layer (kv-compression.md §7.3, §12.6), the fixed per-head variant: each KV head
 * spends {@code 1 - fraction} of its budget on its best-scoring tokens and the rest on whole pages chosen as
 * representatives of what it pruned, never on a page it already keeps (so no entry is kept twice, unlike the
 * vLLM PR's shared picks, §7.6).
 *
 * <p>Steps, over the selectable positions {@code [from, to)} split into pages of {@code page} tokens:
 * <ol>
 * <li>Bits: token {@code j} has bit 1 in head {@code h} when it is among the top {@code floor(R / 2)} of head
 *     {@code h}'s scores over the {@code R} selectable positions.</li>
 * <li>A page's signature is its tokens' bits, token-major and head-minor ({@code Hkv * page} bits); only full
 *     pages are candidates.</li>
 * <li>The anchor ({@link KvCrushSpec.Anchor}); each page's distance is the Hamming distance to it.</li>
 * <li>Per head: {@code k = floor(fraction * B_h / page)} representative pages; the top {@code B_h - k * page}
 *     tokens by score first; candidates are the full pages holding none of those tokens, sorted by distance
 *     then page index; the picks are at ranks {@code floor(i * (E - 1) / (k - 1))}, evenly spread over the
 *     {@code E} candidates like the PR's {@code linspace} (integer arithmetic, truncating like
 *     {@code .long()}).</li>
 * <li>If there are fewer candidates than {@code k}, the next best tokens fill the budget, so every head keeps
 *     exactly {@code B_h} positions.</li>
 * </ol>
 */
public final class KvCrushSelector {
    private final double fraction;
    private final KvCrushSpec.Anchor anchor;
    private final int page;
    private final RankOrder rankOrder = new RankOrder();

    public KvCrushSelector(KvCrushSpec spec) {
        this.fraction = spec.fraction();
        this.anchor = spec.anchor();
        this.page = spec.page();
    }

    /**
     * Per head, {@code headBudgets[h]} distinct positions from {@code [from, to)} (unsorted).
     */
    public int[][] select(float[][] scores, int from, int to, int[] headBudgets) {
        int kvHeads = scores.length;
        int length = to - from;
        int pages = length / page;
        int[] distance = pageDistances(scores, from, to, pages);

        int[][] selected = new int[kvHeads][];
        boolean[] kept = new boolean[length];
        boolean[] pageTaken = new boolean[pages];
        long[] candidates = new long[pages];
        for (int h = 0; h < kvHeads; h++) {
            int budget = headBudgets[h];
            if (budget > length) {
                throw new IllegalArgumentException("head " + h + " budget " + budget + " exceeds " + length);
            }
            int representatives = (int) Math.floor(fraction * budget / page);
            int important = budget - representatives * page;
            int[] out = new int[budget];
            int n = 0;
            Arrays.fill(kept, false);
            Arrays.fill(pageTaken, false);
            rankOrder.rank(scores[h], from, to);
            for (int r = 0; r < important; r++) {
                int j = rankOrder.rankedPosition(r);
                kept[j - from] = true;
                out[n++] = j;
                if ((j - from) / page < pages) {
                    pageTaken[(j - from) / page] = true;
                }
            }
            int eligible = 0;
            for (int g = 0; g < pages; g++) {
                if (!pageTaken[g]) {
                    candidates[eligible++] = ((long) distance[g] << 32) | g;
                }
            }
            Arrays.sort(candidates, 0, eligible);
            int picks = Math.min(representatives, eligible);
            for (int i = 0; i < picks; i++) {
                long rank = picks == 1 ? 0 : (long) i * (eligible - 1) / (picks - 1);
                int g = (int) candidates[(int) rank];
                for (int t = 0; t < page; t++) {
                    kept[g * page + t] = true;
                    out[n++] = from + g * page + t;
                }
            }
            for (int r = important; n < budget; r++) {
                int j = rankOrder.rankedPosition(r);
                if (!kept[j - from]) {
                    kept[j - from] = true;
                    out[n++] = j;
                }
            }
            selected[h] = out;
        }
        return selected;
    }

    /** Hamming distance of every full page's signature to the anchor. */
    int[] pageDistances(float[][] scores, int from, int to, int pages) {
        int kvHeads = scores.length;
        int length = to - from;
        int bitsPerPage = kvHeads * page;
        boolean[][] bits = new boolean[kvHeads][length];
        for (int h = 0; h < kvHeads; h++) {
            rankOrder.rank(scores[h], from, to);
            for (int r = 0; r < length / 2; r++) {
                bits[h][rankOrder.rankedPosition(r) - from] = true;
            }
        }
        boolean[] anchorBits = new boolean[bitsPerPage];
        for (int b = 0; b < bitsPerPage; b++) {
            anchorBits[b] = switch (anchor) {
                case ALTERNATE -> b % 2 == 1;
                case ZEROS -> false;
                case ONES -> true;
                case MEAN -> {
                    int ones = 0;
                    for (int g = 0; g < pages; g++) {
                        ones += bit(bits, g, b, kvHeads) ? 1 : 0;
                    }
                    yield 2 * ones > pages;
                }
            };
        }
        int[] distance = new int[pages];
        for (int g = 0; g < pages; g++) {
            for (int b = 0; b < bitsPerPage; b++) {
                distance[g] += bit(bits, g, b, kvHeads) != anchorBits[b] ? 1 : 0;
            }
        }
        return distance;
    }

    /** Bit {@code b} of page {@code g}'s signature: token {@code b / kvHeads} of the page, head {@code b % kvHeads}. */
    private boolean bit(boolean[][] bits, int g, int b, int kvHeads) {
        return bits[b % kvHeads][g * page + b / kvHeads];
    }
}
