package io.kvsqueeze.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StopSequencesTest {

    /** What a streaming caller shows, chunk by chunk, and how the stream ended. */
    private record Run(List<String> shownPerChunk, String shown, String matchedStop) {
    }

    private static Run stream(List<String> stops, String... chunks) {
        StopSequences stopSequences = new StopSequences(stops);
        StringBuilder shown = new StringBuilder();
        List<String> shownPerChunk = new ArrayList<>();
        boolean stopped = false;
        for (String chunk : chunks) {
            int before = shown.length();
            stopped = stopSequences.append(chunk, shown);
            shownPerChunk.add(shown.substring(before));
            if (stopped) {
                break;
            }
        }
        if (!stopped) {
            stopSequences.finish(shown);
        }
        return new Run(shownPerChunk, shown.toString(), stopSequences.matchedStop().orElse(null));
    }

    @Test
    void withoutStopStringsEverythingIsShownAtOnce() {
        Run run = stream(List.of(), "Hello", " world");
        assertThat(run.shownPerChunk()).containsExactly("Hello", " world");
        assertThat(run.matchedStop()).isNull();
    }

    @Test
    void aStopStringInsideOneChunkCutsTheText() {
        Run run = stream(List.of("</s>"), "Hello</s>world");
        assertThat(run.shown()).isEqualTo("Hello");
        assertThat(run.matchedStop()).isEqualTo("</s>");
    }

    @Test
    void aStopStringSplitAcrossChunksIsHeldBackAndNeverShown() {
        Run run = stream(List.of("</s>"), "Hel", "lo<", "/", "s>", "never seen");
        assertThat(run.shownPerChunk()).containsExactly("Hel", "lo", "", "");
        assertThat(run.shown()).isEqualTo("Hello");
        assertThat(run.matchedStop()).isEqualTo("</s>");
    }

    @Test
    void heldBackTextIsReleasedOnceItCannotStartAStopString() {
        Run run = stream(List.of("</s>"), "a<", "/b", "c");
        assertThat(run.shownPerChunk()).containsExactly("a", "</b", "c");
        assertThat(run.matchedStop()).isNull();
    }

    @Test
    void finishReleasesTextHeldAtTheEnd() {
        StopSequences stops = new StopSequences(List.of("</s>"));
        StringBuilder shown = new StringBuilder();
        assertThat(stops.append("x</", shown)).isFalse();
        assertThat(shown).hasToString("x");
        assertThat(stops.heldBackLength()).isEqualTo(2);
        stops.finish(shown);
        assertThat(shown).hasToString("x</");
        assertThat(stops.heldBackLength()).isZero();
    }

    @Test
    void holdsFromTheEarliestPositionThatCouldStillStartAStop() {
        // "aaa" could be followed by "b": both "aab" at 1 and "ab" at 2 are possible; hold from 1.
        Run run = stream(List.of("aab"), "a", "a", "a", "b");
        assertThat(run.shownPerChunk()).containsExactly("", "", "a", "");
        assertThat(run.shown()).isEqualTo("a");
    }

    @Test
    void theStopThatCompletesFirstWinsEvenIfAnotherStartedEarlier() {
        // "bc" completes at the third character, before "abcd" could.
        List<String> stops = List.of("abcd", "bc");
        for (Run run : List.of(stream(stops, "xabcd"), stream(stops, "x", "a", "b", "c"))) {
            assertThat(run.shown()).isEqualTo("xa");
            assertThat(run.matchedStop()).isEqualTo("bc");
        }
    }

    @Test
    void ofStopsCompletingTogetherTheLongestWins() {
        Run run = stream(List.of("b", "ab"), "xab");
        assertThat(run.shown()).isEqualTo("x");
        assertThat(run.matchedStop()).isEqualTo("ab");
    }

    @Test
    void theResultDoesNotDependOnHowTheTextIsChunked() {
        List<String> stops = List.of("\nUser:", "User", "er:!", "::");
        String text = "Sure.\nUse the force.\nUsers: no. \nUser:: and then more";
        Run whole = stream(stops, text);
        assertThat(whole.shown()).isEqualTo("Sure.\nUse the force.\n");
        assertThat(whole.matchedStop()).isEqualTo("User");
        SplittableRandom random = new SplittableRandom(11);
        for (int trial = 0; trial < 500; trial++) {
            List<String> chunks = new ArrayList<>();
            int at = 0;
            while (at < text.length()) {
                int next = Math.min(text.length(), at + random.nextInt(1, 8));
                chunks.add(text.substring(at, next));
                at = next;
            }
            Run run = stream(stops, chunks.toArray(String[]::new));
            assertThat(run.shown()).as("chunks %s", chunks).isEqualTo(whole.shown());
            assertThat(run.matchedStop()).as("chunks %s", chunks).isEqualTo(whole.matchedStop());
        }
    }

    @Test
    void unicodeStopStringsMatchAcrossASplitSurrogatePair() {
        // U+1F6D1 (octagonal sign) is the pair D83D DED1; the chunk boundary falls between its halves.
        Run run = stream(List.of("🛑"), "go \uD83D", "\uDED1 more");
        assertThat(run.shownPerChunk()).containsExactly("go ", "");
        assertThat(run.matchedStop()).isEqualTo("🛑");
    }

    @Test
    void aLoneHighSurrogateWaitsForItsOtherHalf() {
        Run run = stream(List.of("x"), "a\uD83D", "\uDE00b");
        assertThat(run.shownPerChunk()).containsExactly("a", "😀b");
    }

    @Test
    void cjkAndFalseStartsWithEmoji() {
        assertThat(stream(List.of("。"), "你好", "。再见").shown()).isEqualTo("你好");
        Run run = stream(List.of("🛑!"), "ok 🛑", "?");
        assertThat(run.shownPerChunk()).containsExactly("ok ", "🛑?");
        assertThat(run.matchedStop()).isNull();
    }

    @Test
    void appendingAfterAStopIsAnErrorUntilReset() {
        StopSequences stops = new StopSequences(List.of("."));
        StringBuilder shown = new StringBuilder();
        assertThat(stops.append("a.", shown)).isTrue();
        assertThat(stops.stopped()).isTrue();
        assertThatThrownBy(() -> stops.append("b", shown)).isInstanceOf(IllegalStateException.class);
        stops.reset();
        assertThat(stops.stopped()).isFalse();
        assertThat(stops.append("b", shown)).isFalse();
        assertThat(shown).hasToString("ab");
    }

    @Test
    void rejectsEmptyStopStrings() {
        assertThatThrownBy(() -> new StopSequences(List.of("ok", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
    }
}
