package dev.sdj.cli;

import dev.sdj.api.ProgressListener;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress on stderr, one phase at a time (in a batch, after a line naming the image), with the time per step and the
 * time left. On a terminal the phase's line is redrawn in place; elsewhere (a log file, CI) carriage returns would pile
 * up, so a line is printed when a phase ends and at most every {@link #LOG_INTERVAL_NANOS} in between.
 */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
    private final PrintWriter err;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private String phase = "";
    private long phaseStart;
    private long lastLine;

    ProgressBar(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    /** Whether this process's stderr is a terminal (Linux; elsewhere it counts as not one). */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    @Override
    public void onProgress(String phase, int step, int total) {
        long now = System.nanoTime();
        if (!phase.equals(this.phase)) {
            if (terminal && !this.phase.isEmpty()) {
                err.println();
            }
            this.phase = phase;
            phaseStart = now;
            lastLine = now;
        }
        String timing = timing(now, step, total);
        if (terminal) {
            int filled = total == 0 ? WIDTH : step * WIDTH / total;
            err.printf(Locale.ROOT, "\r%-14s [%s%s] %d/%d%s", phase, "#".repeat(filled), " ".repeat(WIDTH - filled), step, total, timing);
        } else if (step == total || now - lastLine >= LOG_INTERVAL_NANOS) {
            err.printf(Locale.ROOT, "%s %d/%d%s%n", phase, step, total, timing);
            lastLine = now;
        }
        err.flush();
    }

    /** In a batch, a line naming the image whose phases follow. */
    @Override
    public void onImage(int index, int count) {
        if (count > 1) {
            finish();
            err.printf(Locale.ROOT, "image %d of %d%n", index + 1, count);
            err.flush();
        }
    }

    /** Seconds per step and the time left in the phase once a step is done; the time since the start. */
    private String timing(long now, int step, int total) {
        double phaseSeconds = (now - phaseStart) / 1e9;
        String rate = "";
        if (step > 0) {
            double perStep = phaseSeconds / step;
            rate = step < total
                    ? String.format(Locale.ROOT, "  %.2f s/it, %.0f s left", perStep, perStep * (total - step))
                    : String.format(Locale.ROOT, "  %.2f s/it, %.1f s", perStep, phaseSeconds);
        }
        return rate + String.format(Locale.ROOT, "  (%.1f s in all)", (now - start) / 1e9);
    }

    /** Ends the bar's line, if one is being redrawn, so that what follows (a report, an error) starts on its own line. */
    void finish() {
        if (terminal && !phase.isEmpty()) {
            err.println();
            err.flush();
        }
        phase = "";
    }
}
