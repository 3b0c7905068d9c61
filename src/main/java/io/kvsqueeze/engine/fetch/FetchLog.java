package io.kvsqueeze.engine.fetch;

import java.io.Console;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Everything a fetch tells the user: one-line notes, and progress of the transfer under way (percent, MB, MB/s).
 *
 * <p>On a terminal the progress line is redrawn in place at most five times a second. Otherwise (a log file, a
 * CI console, a pipe) carriage returns would be junk, so a plain line is written each time another tenth of the
 * transfer is done.
 */
public final class FetchLog {
    private static final long REDRAW_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final double BYTES_PER_MB = 1_000_000.0;

    private final PrintWriter out;
    private final boolean interactive;
    private final LongSupplier nanoClock;

    private String label;
    private long totalBytes;
    private long startingBytes;
    private long bytesDone;
    private long startNanos;
    private long lastRedrawNanos;
    private int lastTenthWritten;
    private long bytesAtLastLine;
    /** Length of the progress line currently drawn on the terminal; 0 when none is. */
    private int drawnLength;

    public FetchLog(PrintWriter out, boolean interactive) {
        this(out, interactive, System::nanoTime);
    }

    FetchLog(PrintWriter out, boolean interactive, LongSupplier nanoClock) {
        this.out = out;
        this.interactive = interactive;
        this.nanoClock = nanoClock;
    }

    /**
     * Whether progress may be redrawn in place. {@code System.console()} is null when the JVM is not attached to a
     * terminal; on JDKs whose console exists even then, {@code isTerminal()} says the same thing.
     */
    public static boolean terminalAttached() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    public void note(String line) {
        eraseProgressLine();
        out.println(line);
        out.flush();
    }

    /**
     * Starts showing progress of one transfer.
     *
     * @param totalBytes    the full size when complete, or 0 if unknown
     * @param startingBytes bytes already there (a resumed download), counted as done but not in the speed
     */
    public void startTransfer(String label, long totalBytes, long startingBytes) {
        this.label = label;
        this.totalBytes = totalBytes;
        this.startingBytes = startingBytes;
        this.bytesDone = startingBytes;
        this.startNanos = nanoClock.getAsLong();
        this.lastRedrawNanos = startNanos;
        this.lastTenthWritten = tenthsDone();
        this.bytesAtLastLine = -1;
        if (interactive) {
            draw();
        }
    }

    public void transferred(long bytesDone) {
        this.bytesDone = bytesDone;
        if (interactive) {
            long now = nanoClock.getAsLong();
            if (now - lastRedrawNanos >= REDRAW_INTERVAL_NANOS) {
                lastRedrawNanos = now;
                draw();
            }
        } else if (tenthsDone() > lastTenthWritten) {
            lastTenthWritten = tenthsDone();
            writeLine();
        }
    }

    /** Ends the transfer's display, leaving its final state on its own line; safe to call after a failure. */
    public void endTransfer() {
        if (label == null) {
            return;
        }
        if (interactive) {
            draw();
            out.println();
            drawnLength = 0;
        } else if (bytesDone != bytesAtLastLine) { // where a transfer that failed or had no size stopped
            writeLine();
        }
        out.flush();
        label = null;
    }

    private void writeLine() {
        out.println(progressText());
        out.flush();
        bytesAtLastLine = bytesDone;
    }

    private int tenthsDone() {
        return totalBytes > 0 ? (int) Math.min(10, bytesDone * 10 / totalBytes) : 0;
    }

    private void draw() {
        String text = progressText();
        // Pad with spaces so a shorter line fully covers the previous one.
        out.print("\r" + text + " ".repeat(Math.max(0, drawnLength - text.length())));
        out.flush();
        drawnLength = text.length();
    }

    private void eraseProgressLine() {
        if (drawnLength > 0) {
            out.print("\r" + " ".repeat(drawnLength) + "\r");
            drawnLength = 0;
        }
    }

    String progressText() {
        double seconds = (nanoClock.getAsLong() - startNanos) / 1e9;
        double megabytesPerSecond = seconds > 0 ? (bytesDone - startingBytes) / BYTES_PER_MB / seconds : 0;
        if (totalBytes > 0) {
            return String.format(Locale.ROOT, "%s %5.1f%% %6.1f / %.1f MB %6.1f MB/s", label,
                    100.0 * bytesDone / totalBytes, bytesDone / BYTES_PER_MB, totalBytes / BYTES_PER_MB,
                    megabytesPerSecond);
        }
        return String.format(Locale.ROOT, "%s %6.1f MB %6.1f MB/s", label, bytesDone / BYTES_PER_MB,
                megabytesPerSecond);
    }
}
