package io.kvsqueeze.engine.sampling;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Picks the next token from a row of logits, in llama.cpp's default order: repetition penalty, then either
 * argmax (temperature 0) or top-k, top-p, min-p, temperature, softmax and a seeded random draw.
 *
 * <p>Make one per generation: it owns the random generator (so a seed reproduces a whole generation) and
 * buffers sized to the vocabulary, so that {@link #sample} allocates nothing per token. Not thread-safe.
 *
 * <p>Ties are broken towards the lower token id everywhere (argmax and the top-k cut), so results do not
 * depend on the order in which equal logits happen to be visited.
 */
public final class Sampler {
    /** An LXM generator: fast, small state, good statistical quality; a given seed always gives the same stream. */
    private static final String RANDOM_ALGORITHM = "L64X128MixRandom";
    private static final int[] NO_HISTORY = new int[0];

    private final SamplingOptions options;
    private final int vocabularySize;
    private final RandomGenerator random;
    private final boolean penalizesRepetition;

    /** A copy of the caller's logits with the penalty applied, so the caller's array is never modified. */
    private final float[] penalizedLogits;
    /** {@code penaltyMarks[id] == penaltyRound} once {@code id} was penalized in the current call. */
    private final int[] penaltyMarks;
    private int penaltyRound;

    /** Token ids still in the running; a heap while top-k selects, then a plain (possibly sorted) list. */
    private final int[] candidates;
    private final float[] probabilities;

    public Sampler(SamplingOptions options, int vocabularySize) {
        this.options = Objects.requireNonNull(options, "options");
        if (vocabularySize <= 0) {
            throw new IllegalArgumentException("vocabularySize must be > 0, got " + vocabularySize);
        }
        this.vocabularySize = vocabularySize;
        this.random = RandomGeneratorFactory.of(RANDOM_ALGORITHM).create(options.seed());
        this.penalizesRepetition = options.repetitionPenalty() != 1f && options.repeatLastN() > 0;
        this.penalizedLogits = penalizesRepetition ? new float[vocabularySize] : null;
        this.penaltyMarks = penalizesRepetition ? new int[vocabularySize] : null;
        this.candidates = options.isGreedy() ? null : new int[vocabularySize];
        this.probabilities = options.isGreedy() ? null : new float[vocabularySize];
    }

    public SamplingOptions options() {
        return options;
    }

    public int vocabularySize() {
        return vocabularySize;
    }

    /** Samples with no repetition history. */
    public int sample(float[] logits) {
        return sample(logits, NO_HISTORY, 0);
    }

    /**
     * Returns the id of the chosen token.
     *
     * @param logits        one score per token id, exactly {@code vocabularySize} of them; not modified.
     *                      {@code -Infinity} masks a token; NaN and {@code +Infinity} are rejected
     * @param history       token ids generated (and, if the caller wishes, prompted) so far, oldest first
     * @param historyLength how many entries of {@code history} are valid; the last {@code repeatLastN} of them
     *                      are penalized
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        if (logits.length != vocabularySize) {
            throw new IllegalArgumentException("logits has " + logits.length
                    + " entries but the sampler was made for a vocabulary of " + vocabularySize);
        }
        if (historyLength < 0 || historyLength > history.length) {
            throw new IllegalArgumentException(
                    "historyLength " + historyLength + " is outside the history array of " + history.length);
        }
        float[] scores = penalizesRepetition ? penalizeRepetition(logits, history, historyLength) : logits;
        if (options.isGreedy()) {
            return argmax(scores);
        }
        int count = keepTopK(scores);
        return drawFromTruncated(scores, count);
    }

    /**
     * llama.cpp's repetition penalty: each distinct id among the last {@code repeatLastN} is penalized once,
     * however often it occurs. Dividing a positive logit and multiplying a negative one both make the token
     * less likely when the penalty is above 1.
     */
    private float[] penalizeRepetition(float[] logits, int[] history, int historyLength) {
        System.arraycopy(logits, 0, penalizedLogits, 0, vocabularySize);
        int round = nextPenaltyRound();
        float penalty = options.repetitionPenalty();
        for (int i = Math.max(0, historyLength - options.repeatLastN()); i < historyLength; i++) {
            int id = history[i];
            if (id < 0 || id >= vocabularySize) {
                throw new IllegalArgumentException("history[" + i + "] = " + id
                        + " is not a token id of a vocabulary of " + vocabularySize);
            }
            if (penaltyMarks[id] == round) {
                continue;
            }
            penaltyMarks[id] = round;
            float logit = penalizedLogits[id];
            penalizedLogits[id] = logit <= 0 ? logit * penalty : logit / penalty;
        }
        return penalizedLogits;
    }

    /** Rounds number the calls so the marks never need clearing, except once every two billion calls. */
    private int nextPenaltyRound() {
        if (++penaltyRound == Integer.MAX_VALUE) {
            Arrays.fill(penaltyMarks, 0);
            penaltyRound = 1;
        }
        return penaltyRound;
    }

    private int argmax(float[] scores) {
        int best = 0;
        float bestScore = Float.NEGATIVE_INFINITY;
        for (int id = 0; id < vocabularySize; id++) {
            float score = scores[id];
            // Strictly greater: the lowest id wins a tie.
            if (score > bestScore) {
                best = id;
                bestScore = score;
            } else if (Float.isNaN(score)) {
                throw notANumber(id);
            }
        }
        if (bestScore == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -Infinity: no token can be chosen");
        }
        if (bestScore == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("logit of token " + best + " is +Infinity");
        }
        return best;
    }

    /**
     * Leaves the {@code topK} best ids in {@code candidates[0..topK)} and returns how many there are. A min-heap
     * of size k holding the worst kept id at its root makes this O(V log k) instead of sorting all V logits.
     */
    private int keepTopK(float[] scores) {
        int k = options.topK();
        if (k == 0 || k >= vocabularySize) {
            for (int id = 0; id < vocabularySize; id++) {
                candidates[id] = id;
            }
            return vocabularySize;
        }
        for (int id = 0; id < k; id++) {
            candidates[id] = id;
        }
        heapify(scores, k, false);
        float worstKeptScore = scores[candidates[0]];
        for (int id = k; id < vocabularySize; id++) {
            float score = scores[id];
            // Ids arrive in increasing order, so a later id tying with the root is the worse of the two: strict >.
            if (score > worstKeptScore) {
                candidates[0] = id;
                siftDown(scores, 0, k, false);
                worstKeptScore = scores[candidates[0]];
            } else if (Float.isNaN(score)) {
                throw notANumber(id);
            }
        }
        return k;
    }

    /** Applies top-p, min-p and the temperature to {@code candidates[0..count)}, then draws one of them. */
    private int drawFromTruncated(float[] scores, int count) {
        float maxLogit = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            float score = scores[id];
            if (Float.isNaN(score)) {
                throw notANumber(id);
            }
            if (score == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit of token " + id + " is +Infinity");
            }
            maxLogit = Math.max(maxLogit, score);
        }
        if (maxLogit == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("every logit is -Infinity: no token can be chosen");
        }

        // Top-p and min-p each keep a prefix of the candidates ranked best first, and min-p's threshold is relative
        // to the best logit, which top-p never removes; so "top-p then min-p" keeps the shorter of the two prefixes.
        // Applying the cheap min-p filter first therefore gives the same set while leaving far fewer ids to rank,
        // provided top-p still measures mass against every candidate, which massOfAll (at temperature 1) does.
        boolean topPActive = options.topP() < 1f;
        float minKeptLogit = options.minP() > 0 ? maxLogit + (float) Math.log(options.minP())
                : Float.NEGATIVE_INFINITY;
        double massOfAll = 0;
        int kept = 0;
        for (int i = 0; i < count; i++) {
            int id = candidates[i];
            float score = scores[id];
            if (topPActive) {
                massOfAll += Math.exp(score - maxLogit);
            }
            if (score >= minKeptLogit && score != Float.NEGATIVE_INFINITY) {
                candidates[kept++] = id;
            }
        }

        // Survivors are candidates[first .. kept).
        int first = 0;
        if (topPActive) {
            first = keepTopP(scores, kept, options.topP() * massOfAll, maxLogit);
        }

        float temperature = options.temperature();
        int survivors = kept - first;
        for (int i = 0; i < survivors; i++) {
            probabilities[i] = (scores[candidates[first + i]] - maxLogit) / temperature;
        }
        Softmax.softmax(probabilities, 0, survivors);

        double threshold = random.nextDouble();
        double cumulative = 0;
        for (int i = 0; i < survivors; i++) {
            cumulative += probabilities[i];
            if (threshold < cumulative) {
                return candidates[first + i];
            }
        }
        // Rounding left the total a hair below the draw: take the last candidate that can be drawn at all.
        for (int i = survivors - 1; i > 0; i--) {
            if (probabilities[i] > 0) {
                return candidates[first + i];
            }
        }
        return candidates[first];
    }

    /**
     * Moves the best-ranked of {@code candidates[0..count)} one by one to the end of that range until their mass
     * (at temperature 1, relative to the best logit) reaches {@code neededMass}, and returns where they start.
     * Popping from a heap costs O(count + kept log count), so a wide open vocabulary is never fully sorted.
     */
    private int keepTopP(float[] scores, int count, double neededMass, float maxLogit) {
        heapify(scores, count, true);
        int heapSize = count;
        double cumulativeMass = 0;
        while (heapSize > 0) {
            int best = candidates[0];
            heapSize--;
            candidates[0] = candidates[heapSize];
            candidates[heapSize] = best;
            siftDown(scores, 0, heapSize, true);
            cumulativeMass += Math.exp(scores[best] - maxLogit);
            if (cumulativeMass >= neededMass) {
                break;
            }
        }
        return heapSize;
    }

    private void heapify(float[] scores, int size, boolean bestAtRoot) {
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(scores, i, size, bestAtRoot);
        }
    }

    /**
     * Restores the heap order below {@code position} in {@code candidates[0..size)}: every parent ranks better
     * than its children when {@code bestAtRoot}, worse otherwise.
     */
    private void siftDown(float[] scores, int position, int size, boolean bestAtRoot) {
        int id = candidates[position];
        while (true) {
            int child = 2 * position + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && belongsAbove(scores, candidates[child + 1], candidates[child], bestAtRoot)) {
                child++;
            }
            if (!belongsAbove(scores, candidates[child], id, bestAtRoot)) {
                break;
            }
            candidates[position] = candidates[child];
            position = child;
        }
        candidates[position] = id;
    }

    private static boolean belongsAbove(float[] scores, int id, int otherId, boolean bestAtRoot) {
        return bestAtRoot ? ranksWorse(scores, otherId, id) : ranksWorse(scores, id, otherId);
    }

    /** The total order used for ranking: higher logit first, and the lower id first on equal logits. */
    private static boolean ranksWorse(float[] scores, int id, int otherId) {
        float score = scores[id];
        float otherScore = scores[otherId];
        return score < otherScore || (score == otherScore && id > otherId);
    }

    private static IllegalArgumentException notANumber(int id) {
        return new IllegalArgumentException("logit of token " + id + " is NaN");
    }
}
