package io.kvsqueeze.engine.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DecodeEvictionTest {
    private static final int[] POSITIONS = {0, 1, 2, 3, 7, 9, 12, 13, 14};

    @Test
    void recentModeDropsTheOldestNonSink() {
        DecodeEviction eviction = new DecodeEviction(DecodeEviction.Mode.RECENT, 4, 2);
        assertThat(eviction.victim(POSITIONS, null, POSITIONS.length)).isEqualTo(4);
    }

    @Test
    void accumulatedModeDropsTheLowestRunningScoreOutsideSinksAndWindow() {
        DecodeEviction eviction = new DecodeEviction(DecodeEviction.Mode.ACCUMULATED_ATTENTION, 2, 2);
        float[] scores = {0.0f, 0.0f, 0.5f, 0.3f, 0.9f, 0.2f, 0.4f, 0.0f, 0.0f};
        // Entries 0, 1 are sinks and 7, 8 the window; of the rest, 5 (0.2) is lowest.
        assertThat(eviction.victim(POSITIONS, scores, POSITIONS.length)).isEqualTo(5);
    }

    @Test
    void tiesEvictTheEntryRankedLastThatIsTheHigherPosition() {
        DecodeEviction eviction = new DecodeEviction(DecodeEviction.Mode.ACCUMULATED_ATTENTION, 0, 0);
        float[] scores = {0.2f, 0.1f, 0.1f, 0.3f};
        assertThat(eviction.victim(new int[] {4, 5, 8, 9}, scores, 4)).isEqualTo(2);
    }

    @Test
    void onlyTheFirstLengthEntriesCount() {
        DecodeEviction eviction = new DecodeEviction(DecodeEviction.Mode.ACCUMULATED_ATTENTION, 0, 1);
        float[] scores = {0.5f, 0.4f, 0.1f, 0.0f};
        // length 3: entry 2 is the window, entry 3 is not in the head yet.
        assertThat(eviction.victim(new int[] {0, 1, 2, 3}, scores, 3)).isEqualTo(1);
    }

    @Test
    void nothingToEvictWhenEverythingIsProtected() {
        DecodeEviction eviction = new DecodeEviction(DecodeEviction.Mode.RECENT, 4, 4);
        assertThat(eviction.victim(new int[] {0, 1, 2, 3, 10, 11}, null, 6)).isEqualTo(-1);
    }

    @Test
    void keepingTheBudgetWhileTokensArriveLeavesStreamingLlmsSet() {
        // StreamingLLM with capacity 6 and 4 sinks: after tokens 10..14 arrive, sinks + the 2 newest remain.
        KvPolicy policy = KvPolicy.parse("""
                {"preset": "streaming-llm", "budget": {"tokens": 6}, "decodeEviction": true}""");
        CompressionPlan plan = new CompressionPlanner(policy, 1, 1).plan(10, null, null);
        DecodeEviction eviction = DecodeEviction.forPolicy(policy);
        int[] positions = new int[16];
        int length = 0;
        for (int p : plan.kept(0, 0)) {
            positions[length++] = p;
        }
        for (int token = 10; token < 15; token++) {
            if (length == plan.decodeCapacity(0, 0)) {
                int victim = eviction.victim(positions, null, length);
                System.arraycopy(positions, victim + 1, positions, victim, length - victim - 1);
                length--;
            }
            positions[length++] = token;
        }
        assertThat(Arrays.copyOf(positions, length)).containsExactly(0, 1, 2, 3, 13, 14);
    }

    @Test
    void accumulateAddsWeightedProbabilities() {
        float[] running = {1f, 2f, 3f};
        DecodeEviction.accumulate(running, new float[] {9f, 0.5f, 0.25f, 0.25f}, 1, 3, 2f);
        assertThat(running).containsExactly(2f, 2.5f, 3.5f);
    }

    @Test
    void policyChoosesTheMode() {
        KvPolicy snap = KvPolicy.parse("{\"preset\": \"snapkv\", \"decodeEviction\": true}");
        assertThat(DecodeEviction.forPolicy(snap).mode()).isEqualTo(DecodeEviction.Mode.ACCUMULATED_ATTENTION);
        assertThatThrownBy(() -> DecodeEviction.forPolicy(KvPolicy.parse("snapkv")))
                .hasMessageContaining("decodeEviction false");
    }
}
