package dev.sdj.ggml;

import jnr.ffi.Pointer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Routes ggml's log (including the backends', which log through ggml-base) to stderr above a threshold, so that
 * backend chatter never mixes into machine-readable stdout. Threshold: {@code -Dsdj.ggml.log} or
 * {@code SDJ_GGML_LOG} = debug | info | warn | error | none (default warn).
 */
final class GgmlLog implements GgmlLibrary.LogCallback {
    private static final int CONT = 5;
    private final int threshold;
    private final PrintStream out;
    private int lastLevel = 4;

    GgmlLog(PrintStream out) {
        this.out = out;
        this.threshold = thresholdFromSettings();
    }

    private static int thresholdFromSettings() {
        String s = System.getProperty("sdj.ggml.log");
        if (s == null) {
            s = System.getenv("SDJ_GGML_LOG");
        }
        if (s == null) {
            return 3;
        }
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "debug" -> 1;
            case "info" -> 2;
            case "error" -> 4;
            case "none" -> 6;
            default -> 3;
        };
    }

    @Override
    public synchronized void log(int level, Pointer text, Pointer user) {
        int effective = level == CONT ? lastLevel : level;
        lastLevel = effective;
        if (effective >= threshold && text != null) {
            out.print(text.getString(0));
            out.flush();
        }
    }
}
