package io.kvsqueeze.engine.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FetchLogTest {
    private final StringWriter text = new StringWriter();
    private final AtomicLong clock = new AtomicLong();

    private FetchLog log(boolean interactive) {
        return new FetchLog(new PrintWriter(text), interactive, clock::get);
    }

    private void advanceMillis(long millis) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void withoutATerminalWritesOneLinePerTenthAndNoCarriageReturns() {
        FetchLog log = log(false);
        log.startTransfer("model.gguf", 10_000_000, 0);
        for (long done = 250_000; done <= 10_000_000; done += 250_000) {
            advanceMillis(100);
            log.transferred(done);
        }
        log.endTransfer();

        String[] lines = text.toString().split("\n");
        assertThat(lines).hasSize(10);
        assertThat(lines[0]).isEqualTo("model.gguf  10.0%    1.0 / 10.0 MB    2.5 MB/s");
        assertThat(lines[9]).isEqualTo("model.gguf 100.0%   10.0 / 10.0 MB    2.5 MB/s");
        assertThat(text.toString()).doesNotContain("\r");
    }

    @Test
    void aResumedTransferCountsOnlyNewBytesInTheSpeedAndSkipsTheTenthsAlreadyDone() {
        FetchLog log = log(false);
        log.startTransfer("model.gguf", 10_000_000, 4_000_000);
        advanceMillis(1000);
        log.transferred(5_000_000);
        log.endTransfer(); // the transfer failed here: nothing new to say

        assertThat(text.toString()).isEqualTo("model.gguf  50.0%    5.0 / 10.0 MB    1.0 MB/s\n");
    }

    @Test
    void onATerminalRedrawsInPlaceAtMostFiveTimesASecond() {
        FetchLog log = log(true);
        log.startTransfer("m", 1_000_000, 0);
        for (int i = 1; i <= 10; i++) {
            advanceMillis(50);
            log.transferred(i * 100_000L);
        }
        log.endTransfer();

        String output = text.toString();
        // The initial draw, two redraws 200 ms apart within the 500 ms, and the final one.
        assertThat(output.chars().filter(c -> c == '\r')).hasSize(4);
        assertThat(output).endsWith("m 100.0%    1.0 / 1.0 MB    2.0 MB/s\n");
    }

    @Test
    void aNoteClearsTheProgressLineFirst() {
        FetchLog log = log(true);
        log.startTransfer("m", 1_000_000, 0);
        log.note("hello");

        String drawn = "m   0.0%    0.0 / 1.0 MB    0.0 MB/s";
        assertThat(text.toString()).isEqualTo("\r" + drawn + "\r" + " ".repeat(drawn.length()) + "\rhello\n");
    }

    @Test
    void anUnknownSizeShowsBytesAndSpeed() {
        FetchLog log = log(false);
        log.startTransfer("w", 0, 0);
        advanceMillis(2000);
        log.transferred(3_000_000);
        log.endTransfer();

        assertThat(text.toString()).isEqualTo("w    3.0 MB    1.5 MB/s\n");
    }
}
