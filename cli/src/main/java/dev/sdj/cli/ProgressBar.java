package dev.sdj.cli;

import dev.sdj.api.ProgressListener;

import java.io.PrintWriter;

/** A one-line progress bar on stderr, redrawn in place, one phase at a time. */
final class ProgressBar implements ProgressListener {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final long start = System.nanoTime();
    private String phase = "";

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void onProgress(String phase, int step, int total) {
        if (!phase.equals(this.phase) && !this.phase.isEmpty()) {
            err.println();
        }
        this.phase = phase;
        int filled = total == 0 ? WIDTH : step * WIDTH / total;
        err.printf("\r%-14s [%s%s] %d/%d  %.1fs", phase, "#".repeat(filled), " ".repeat(WIDTH - filled), step, total,
                (System.nanoTime() - start) / 1e9);
        err.flush();
    }

    /** Ends the bar's line, if one was drawn, so that what follows (a report, an error) starts on its own line. */
    void finish() {
        if (!phase.isEmpty()) {
            err.println();
            err.flush();
            phase = "";
        }
    }
}
