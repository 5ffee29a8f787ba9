package dev.sdj.cli;

import org.slf4j.event.Level;

import java.util.Locale;

/**
 * How much of the log the console shows: sdj's own loggers from warnings up ({@code -v}: from information up;
 * {@code SDJ_DEBUG} set: from debug up, each line timed from the JVM's start), ggml's
 * ({@value #GGML_LOGGER}) likewise unless {@code SDJ_GGML_LOG} (or {@code -Dsdj.ggml.log}) names its threshold: debug,
 * info, warn, error or none.
 */
record LogLevels(int sdjThreshold, int ggmlThreshold) {
    static final String GGML_LOGGER = "dev.sdj.ggml.native";
    static final String GGML_ENV = "SDJ_GGML_LOG";
    static final String GGML_PROPERTY = "sdj.ggml.log";
    private static final int NONE = Integer.MAX_VALUE;

    /** The default: warnings and errors only. */
    static final LogLevels DEFAULT = of(null, false);

    /** @param ggmlSetting SDJ_GGML_LOG's value, or null when unset */
    static LogLevels of(String ggmlSetting, boolean verbose) {
        return of(ggmlSetting, verbose, false);
    }

    /**
     * @param ggmlSetting SDJ_GGML_LOG's value, or null when unset
     * @param debug       sdj's debug lines too (SDJ_DEBUG): where a run's time goes, start-up included
     */
    static LogLevels of(String ggmlSetting, boolean verbose, boolean debug) {
        int sdj = (debug ? Level.DEBUG : verbose ? Level.INFO : Level.WARN).toInt();
        return new LogLevels(sdj, ggmlSetting == null ? Math.max(sdj, Level.INFO.toInt()) : ggmlThreshold(ggmlSetting));
    }

    /** From the process's settings: the system property first, then the environment. */
    static LogLevels fromEnvironment(boolean verbose) {
        String setting = System.getProperty(GGML_PROPERTY);
        return of(setting != null ? setting : System.getenv(GGML_ENV), verbose, Failures.debug());
    }

    /** An unknown value keeps ggml's default, warnings and errors, as before. */
    private static int ggmlThreshold(String setting) {
        return switch (setting.toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.DEBUG.toInt();
            case "info" -> Level.INFO.toInt();
            case "error" -> Level.ERROR.toInt();
            case "none" -> NONE;
            default -> Level.WARN.toInt();
        };
    }

    boolean shows(String logger, Level level) {
        return level.toInt() >= (logger.equals(GGML_LOGGER) ? ggmlThreshold : sdjThreshold);
    }
}
