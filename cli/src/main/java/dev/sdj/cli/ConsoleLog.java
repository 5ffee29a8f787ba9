package dev.sdj.cli;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The command line's SLF4J binding: the engine's log on stderr, never on stdout (which may carry JSON or a PNG).
 * ggml's lines appear as ggml writes them; sdj's own carry their level as the CLI's other messages do ("warning: …").
 * The levels shown follow {@link #configure} (the command's -v and SDJ_GGML_LOG), read at each event because loggers
 * are made before the command line is parsed.
 */
public final class ConsoleLog implements SLF4JServiceProvider {
    private static volatile LogLevels levels = LogLevels.DEFAULT;

    private final ILoggerFactory loggers = ConsoleLogger::new;
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();

    static void configure(LogLevels shown) {
        levels = shown;
    }

    /**
     * One event as the console shows it; while sdj's debug lines show, each of sdj's lines carries the milliseconds
     * since the JVM started, to tell where a run's time goes, start-up included.
     */
    static String format(String logger, Level level, String message) {
        if (logger.equals(LogLevels.GGML_LOGGER)) {
            return message;
        }
        String timed = levels.shows(logger, Level.DEBUG) ? String.format(Locale.ROOT, "[%d ms] ", millisSinceStart()) : "";
        return switch (level) {
            case ERROR -> "error: ";
            case WARN -> "warning: ";
            case INFO -> "note: ";
            default -> level.name().toLowerCase(Locale.ROOT) + ": ";
        } + timed + message;
    }

    /** Milliseconds since the JVM started (the management bean is loaded only when debug lines show). */
    static long millisSinceStart() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
    }

    private static final class ConsoleLogger extends LegacyAbstractLogger {
        ConsoleLogger(String name) {
            this.name = name;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args, Throwable t) {
            PrintStream err = System.err; // looked up each time: a test may have redirected it
            synchronized (err) {
                err.println(format(name, level, MessageFormatter.basicArrayFormat(pattern, args)));
                if (t != null && System.getenv("SDJ_DEBUG") != null) {
                    t.printStackTrace(err);
                }
                err.flush();
            }
        }

        private boolean shows(Level level) {
            return levels.shows(name, level);
        }

        @Override
        public boolean isTraceEnabled() {
            return shows(Level.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return shows(Level.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return shows(Level.INFO);
        }

        @Override
        public boolean isWarnEnabled() {
            return shows(Level.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return shows(Level.ERROR);
        }
    }
}
