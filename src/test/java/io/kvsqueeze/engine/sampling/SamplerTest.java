package io.kvsqueeze.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final int DRAWS = 40_000;
    /** Four standard errors of a frequency estimated from DRAWS draws, at worst (p = 0.5): 0.01. */
    private static final double FREQUENCY_TOLERANCE = 0.01;

    /** Temperature 1 and every filter off: the draw follows the plain softmax of the logits. */
    private static SamplingOptions plain() {
        return new SamplingOptions(1f, 0, 1f, 0f, 1f, 64, 12345L);
    }

    private static float ln(double p) {
        return (float) Math.log(p);
    }

    private static double[] frequencies(SamplingOptions options, float[] logits, int[] history) {
        Sampler sampler = new Sampler(options, logits.length);
        double[] counts = new double[logits.length];
        for (int i = 0; i < DRAWS; i++) {
            counts[sampler.sample(logits, history, history.length)]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] /= DRAWS;
        }
        return counts;
    }

    private static double[] frequencies(SamplingOptions options, float[] logits) {
        return frequencies(options, logits, new int[0]);
    }

    private static void assertFrequencies(double[] actual, double... expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == 0) {
                assertThat(actual[i]).as("frequency of token %d", i).isZero();
            } else {
                assertThat(actual[i]).as("frequency of token %d", i)
                        .isCloseTo(expected[i], within(FREQUENCY_TOLERANCE));
            }
        }
    }

    @Test
    void topKTwoOfFourLeavesOnlyTheTwoLargestLogits() {
        // Softmax of [3, 4]: 1/(1+e) = 0.268941 and e/(1+e) = 0.731059.
        double[] f = frequencies(plain().withTopK(2), new float[] {1, 2, 3, 4});
        assertFrequencies(f, 0, 0, 0.268941, 0.731059);
    }

    @Test
    void topKBreaksTiesTowardsTheLowerId() {
        double[] f = frequencies(plain().withTopK(2), new float[] {1, 3, 3, 3, 0});
        assertFrequencies(f, 0, 0.5, 0.5, 0, 0);
    }

    @Test
    void topKOnALargeVocabularyKeepsExactlyTheBestIds() {
        SplittableRandom random = new SplittableRandom(7);
        float[] logits = new float[49_152];
        for (int i = 0; i < logits.length; i++) {
            // Coarse values so that many ties straddle the cut.
            logits[i] = random.nextInt(200) / 10f;
        }
        int[] expected = IntStream.range(0, logits.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(id -> -logits[id]).thenComparingInt(id -> id))
                .limit(40).mapToInt(Integer::intValue).sorted().toArray();

        // A huge temperature makes the 40 survivors nearly equally likely, so each is drawn many times.
        Sampler sampler = new Sampler(plain().withTopK(40).withTemperature(1000f), logits.length);
        boolean[] drawn = new boolean[logits.length];
        for (int i = 0; i < 20_000; i++) {
            drawn[sampler.sample(logits)] = true;
        }
        int[] drawnIds = IntStream.range(0, logits.length).filter(id -> drawn[id]).toArray();
        assertThat(drawnIds).containsExactly(expected);
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingTheMass() {
        // Probabilities by id: 0.15, 0.50, 0.05, 0.30. Ranked: 0.50 (id 1), 0.30 (id 3), 0.15 (id 0), 0.05 (id 2).
        float[] logits = {ln(0.15), ln(0.50), ln(0.05), ln(0.30)};
        // p = 0.7: cumulative 0.50 < 0.7, 0.80 >= 0.7 -> ids 1 and 3, renormalized 0.5/0.8 and 0.3/0.8.
        assertFrequencies(frequencies(plain().withTopP(0.7f), logits), 0, 0.625, 0, 0.375);
        // p = 0.85: 0.50, 0.80, 0.95 >= 0.85 -> ids 1, 3, 0, renormalized by 0.95.
        assertFrequencies(frequencies(plain().withTopP(0.85f), logits), 0.15 / 0.95, 0.50 / 0.95, 0, 0.30 / 0.95);
    }

    @Test
    void topPMeasuresMassAfterTopK() {
        // Probabilities 0.50, 0.30, 0.15, 0.05. Top-p 0.82 alone: 0.50, 0.80 < 0.82, 0.95 -> three survive.
        float[] logits = {ln(0.50), ln(0.30), ln(0.15), ln(0.05)};
        assertFrequencies(frequencies(plain().withTopP(0.82f), logits), 0.50 / 0.95, 0.30 / 0.95, 0.15 / 0.95, 0);
        // After top-k 3 the mass is renormalized over 0.95: 0.526, 0.842 >= 0.82 -> two survive.
        assertFrequencies(frequencies(plain().withTopK(3).withTopP(0.82f), logits), 0.625, 0.375, 0, 0);
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        float[] logits = {ln(0.50), ln(0.30), ln(0.15), ln(0.05)};
        // min-p 0.2: threshold 0.2 * 0.5 = 0.10 -> 0.05 goes.
        assertFrequencies(frequencies(plain().withMinP(0.2f), logits), 0.50 / 0.95, 0.30 / 0.95, 0.15 / 0.95, 0);
        // min-p 0.35: threshold 0.175 -> 0.15 goes too.
        assertFrequencies(frequencies(plain().withMinP(0.35f), logits), 0.625, 0.375, 0, 0);
    }

    @Test
    void topPComesBeforeMinPAndMeasuresMassOverEveryCandidate() {
        // Probabilities 0.4, 0.2, 0.1, 0.1, 0.1, 0.1. Top-p 0.5: 0.4, 0.6 >= 0.5 -> ids 0, 1.
        // Min-p 0.3 (threshold 0.12) also keeps ids 0, 1. Had top-p measured mass only over min-p's survivors
        // (0.6 in all), 0.4 / 0.6 = 0.67 >= 0.5 would have left id 0 alone.
        float[] logits = {ln(0.4), ln(0.2), ln(0.1), ln(0.1), ln(0.1), ln(0.1)};
        double[] f = frequencies(plain().withTopP(0.5f).withMinP(0.3f), logits);
        assertFrequencies(f, 2 / 3.0, 1 / 3.0, 0, 0, 0, 0);
    }

    @Test
    void temperatureDividesTheLogits() {
        // Logits [0, ln 2]: at T = 1 the odds are 1 : 2.
        float[] logits = {0, ln(2)};
        assertFrequencies(frequencies(plain(), logits), 1 / 3.0, 2 / 3.0);
        // T = 0.5 doubles the logits: [0, 2 ln 2], odds 1 : 4.
        assertFrequencies(frequencies(plain().withTemperature(0.5f), logits), 0.2, 0.8);
        // T = 2 halves them: [0, ln 2 / 2], odds 1 : sqrt 2 -> 0.414214 : 0.585786.
        assertFrequencies(frequencies(plain().withTemperature(2f), logits), 0.414214, 0.585786);
    }

    @Test
    void minPIsJudgedBeforeTheTemperature() {
        // At T = 1, 0.15 / 0.50 = 0.3 >= min-p 0.2 keeps id 2. Were T = 0.5 applied first, its share would be
        // 0.15^2 / 0.5^2 = 0.09 < 0.2 and it would be dropped.
        float[] logits = {ln(0.50), ln(0.30), ln(0.15), ln(0.05)};
        double[] f = frequencies(plain().withMinP(0.2f).withTemperature(0.5f), logits);
        // Survivors 0.50, 0.30, 0.15 squared: 0.25, 0.09, 0.0225; total 0.3625.
        assertFrequencies(f, 0.25 / 0.3625, 0.09 / 0.3625, 0.0225 / 0.3625, 0);
    }

    @Test
    void frequenciesOverManyDrawsMatchTheSoftmax() {
        float[] logits = {0.3f, -1.2f, 2.0f, 0.0f, 1.1f, -0.4f, 1.7f, -3.0f};
        float[] expected = logits.clone();
        Softmax.softmax(expected, 0, expected.length);
        double[] f = frequencies(plain(), logits);
        for (int i = 0; i < logits.length; i++) {
            double standardError = Math.sqrt(expected[i] * (1 - expected[i]) / DRAWS);
            assertThat(f[i]).as("token %d", i).isCloseTo(expected[i], within(4 * standardError));
        }
    }

    @Test
    void maskedTokensAreNeverDrawn() {
        float[] logits = {Float.NEGATIVE_INFINITY, 0, Float.NEGATIVE_INFINITY, 0};
        assertFrequencies(frequencies(plain(), logits), 0, 0.5, 0, 0.5);
    }

    @Test
    void repetitionPenaltyDividesAPositiveLogit() {
        // ln 4 / 2 = ln 2: odds against logit 0 go from 4 : 1 to 2 : 1.
        float[] logits = {ln(4), 0};
        double[] f = frequencies(plain().withRepetitionPenalty(2f), logits, new int[] {0});
        assertFrequencies(f, 2 / 3.0, 1 / 3.0);
    }

    @Test
    void repetitionPenaltyMultipliesANegativeLogit() {
        // -ln 2 * 2 = -ln 4: odds against logit 0 go from 1 : 2 to 1 : 4. Dividing instead would have raised it.
        float[] logits = {-ln(2), 0};
        double[] f = frequencies(plain().withRepetitionPenalty(2f), logits, new int[] {0});
        assertFrequencies(f, 0.2, 0.8);
    }

    @Test
    void repetitionPenaltyCountsEachIdOnce() {
        // Once: 2.0 / 2 = 1.0 > 0.9. Per occurrence it would be 0.5 < 0.9.
        Sampler sampler = new Sampler(SamplingOptions.greedy().withRepetitionPenalty(2f), 2);
        assertThat(sampler.sample(new float[] {2.0f, 0.9f}, new int[] {0, 0, 0}, 3)).isZero();
    }

    @Test
    void repetitionPenaltyLooksOnlyAtTheLastN() {
        float[] logits = {2.0f, 1.5f, 1.2f};
        int[] history = {0, 1, 99};
        // repeatLastN 1 of the first two entries: only id 1 -> [2.0, 0.75, 1.2].
        Sampler lastOne = new Sampler(SamplingOptions.greedy().withRepetitionPenalty(2f).withRepeatLastN(1), 3);
        assertThat(lastOne.sample(logits, history, 2)).isZero();
        // repeatLastN 2: ids 0 and 1 -> [1.0, 0.75, 1.2].
        Sampler lastTwo = new Sampler(SamplingOptions.greedy().withRepetitionPenalty(2f).withRepeatLastN(2), 3);
        assertThat(lastTwo.sample(logits, history, 2)).isEqualTo(2);
        assertThat(logits).as("the caller's logits are left alone").containsExactly(2.0f, 1.5f, 1.2f);
    }

    @Test
    void repetitionPenaltyRejectsIdsOutsideTheVocabulary() {
        Sampler sampler = new Sampler(SamplingOptions.greedy().withRepetitionPenalty(1.1f), 3);
        assertThatThrownBy(() -> sampler.sample(new float[3], new int[] {3}, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("history[0] = 3");
    }

    @Test
    void greedyTakesTheLowestIdAmongTiedMaxima() {
        Sampler sampler = new Sampler(SamplingOptions.greedy(), 5);
        assertThat(sampler.sample(new float[] {1, 5, 2, 5, Float.NEGATIVE_INFINITY})).isEqualTo(1);
        assertThat(sampler.sample(new float[] {-7, -7, -7, -7, -7})).isZero();
    }

    @Test
    void rejectsLogitsThatCannotBeSampled() {
        Sampler greedy = new Sampler(SamplingOptions.greedy(), 2);
        Sampler drawing = new Sampler(plain().withTopK(1), 2);
        float[] allMasked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] nan = {0, Float.NaN};
        assertThatThrownBy(() -> greedy.sample(allMasked)).hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> drawing.sample(allMasked)).hasMessageContaining("-Infinity");
        assertThatThrownBy(() -> greedy.sample(nan)).hasMessageContaining("token 1 is NaN");
        assertThatThrownBy(() -> drawing.sample(nan)).hasMessageContaining("token 1 is NaN");
        assertThatThrownBy(() -> greedy.sample(new float[3])).hasMessageContaining("vocabulary of 2");
    }

    @Test
    void theSameSeedReproducesAndADifferentSeedDiffers() {
        float[] logits = new float[1000];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian();
        }
        SamplingOptions options = SamplingOptions.defaults().withTopK(0).withMinP(0).withSeed(42);
        int[] first = drawMany(options, logits);
        int[] again = drawMany(options, logits);
        int[] otherSeed = drawMany(options.withSeed(43), logits);
        assertThat(again).containsExactly(first);
        assertThat(otherSeed).isNotEqualTo(first);
    }

    private static int[] drawMany(SamplingOptions options, float[] logits) {
        Sampler sampler = new Sampler(options, logits.length);
        int[] tokens = new int[200];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = sampler.sample(logits, tokens, i);
        }
        return tokens;
    }

    @Test
    void sampleAllocatesNothingPerToken() {
        int vocabularySize = 49_152;
        float[] logits = new float[vocabularySize];
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < vocabularySize; i++) {
            logits[i] = (float) (random.nextGaussian() * 3);
        }
        int[] history = new int[256];
        for (int i = 0; i < history.length; i++) {
            history[i] = random.nextInt(vocabularySize);
        }
        SamplingOptions llamaDefaults = SamplingOptions.defaults().withRepetitionPenalty(1.1f);
        SamplingOptions[] variants = {
                llamaDefaults,
                llamaDefaults.withTopK(0).withMinP(0), // full-vocabulary sort for top-p
                SamplingOptions.greedy().withRepetitionPenalty(1.1f),
        };
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (SamplingOptions options : variants) {
            Sampler sampler = new Sampler(options, vocabularySize);
            for (int i = 0; i < 200; i++) { // the long inner loops get the JIT to compile sample() by now
                sampler.sample(logits, history, history.length);
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int checksum = 0;
            for (int i = 0; i < 200; i++) {
                checksum += sampler.sample(logits, history, history.length);
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(checksum).isNotNegative();
            // Measuring costs a few hundred bytes at most; one 16-byte object per call would already be 3.2 KB.
            assertThat(allocated).as("bytes allocated by 200 calls with %s", options).isLessThan(1024);
        }
    }

    @Test
    void optionsNameTheOffendingField() {
        SamplingOptions ok = SamplingOptions.defaults();
        assertThatThrownBy(() -> ok.withTemperature(-0.1f)).hasMessageStartingWith("temperature");
        assertThatThrownBy(() -> ok.withTemperature(Float.NaN)).hasMessageStartingWith("temperature");
        assertThatThrownBy(() -> ok.withTopK(-1)).hasMessageStartingWith("topK");
        assertThatThrownBy(() -> ok.withTopP(0f)).hasMessageStartingWith("topP");
        assertThatThrownBy(() -> ok.withTopP(1.01f)).hasMessageStartingWith("topP");
        assertThatThrownBy(() -> ok.withMinP(1f)).hasMessageStartingWith("minP");
        assertThatThrownBy(() -> ok.withMinP(-0.01f)).hasMessageStartingWith("minP");
        assertThatThrownBy(() -> ok.withRepetitionPenalty(0f)).hasMessageStartingWith("repetitionPenalty");
        assertThatThrownBy(() -> ok.withRepeatLastN(-1)).hasMessageStartingWith("repeatLastN");
        // The "off" values sit on the boundaries and must be accepted.
        assertThatCode(() -> ok.withTemperature(0f).withTopK(0).withTopP(1f).withMinP(0f).withRepeatLastN(0))
                .doesNotThrowAnyException();
    }

    @Test
    void defaultsFollowLlamaCpp() {
        SamplingOptions defaults = SamplingOptions.defaults();
        assertThat(defaults.temperature()).isEqualTo(0.8f);
        assertThat(defaults.topK()).isEqualTo(40);
        assertThat(defaults.topP()).isEqualTo(0.95f);
        assertThat(defaults.minP()).isEqualTo(0.05f);
        assertThat(defaults.repetitionPenalty()).isEqualTo(1.0f);
        assertThat(defaults.repeatLastN()).isEqualTo(64);
        assertThat(SamplingOptions.greedy().isGreedy()).isTrue();
        assertThat(defaults.isGreedy()).isFalse();
    }
}
