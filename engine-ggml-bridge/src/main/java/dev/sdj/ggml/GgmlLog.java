package dev.sdj.ggml;

import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Routes ggml's log (including the backends', which log through ggml-base) into the SLF4J logger
 * {@value #LOGGER_NAME}, one event per line, so that the embedding application's logging decides where it goes and
 * at which level: ggml's debug, info, warn and error become SLF4J's. ggml writes a line in pieces (a piece at level
 * CONT continues the previous one), so pieces are joined until the newline.
 */
final class GgmlLog implements GgmlLibrary.LogCallback {
    /** The logger ggml's messages arrive at. */
    static final String LOGGER_NAME = "dev.sdj.ggml.native";

    /** ggml's {@code enum ggml_log_level}. */
    private static final int DEBUG = 1;
    private static final int INFO = 2;
    private static final int WARN = 3;
    private static final int ERROR = 4;
    private static final int CONT = 5;

    private final Logger logger;
    private final StringBuilder line = new StringBuilder();
    private Level lineLevel = Level.INFO;

    GgmlLog(Logger logger) {
        this.logger = logger;
    }

    GgmlLog() {
        this(LoggerFactory.getLogger(LOGGER_NAME));
    }

    /** SLF4J's level for one of ggml's; null for NONE and unknown values, which carry nothing to show. */
    static Level levelOf(int ggmlLevel) {
        return switch (ggmlLevel) {
            case DEBUG -> Level.DEBUG;
            case INFO -> Level.INFO;
            case WARN -> Level.WARN;
            case ERROR -> Level.ERROR;
            default -> null;
        };
    }

    @Override
    public void log(int level, Pointer text, Pointer user) {
        if (text != null) {
            accept(level, text.getString(0));
        }
    }

    /** ggml may log from its worker threads: one line is assembled at a time. */
    synchronized void accept(int ggmlLevel, String piece) {
        if (ggmlLevel != CONT) {
            Level level = levelOf(ggmlLevel);
            if (level == null) {
                return;
            }
            if (!line.isEmpty()) {
                emit(); // the previous message ended without a newline
            }
            lineLevel = level;
        }
        int start = 0;
        for (int nl = piece.indexOf('\n'); nl >= 0; nl = piece.indexOf('\n', start)) {
            line.append(piece, start, nl);
            emit();
            start = nl + 1;
        }
        line.append(piece, start, piece.length());
    }

    /** Blank lines carry nothing a log needs. */
    private void emit() {
        if (!line.isEmpty()) {
            String message = line.toString();
            switch (lineLevel) {
                case DEBUG -> logger.debug(message);
                case INFO -> logger.info(message);
                case WARN -> logger.warn(message);
                default -> logger.error(message);
            }
        }
        line.setLength(0);
    }
}
