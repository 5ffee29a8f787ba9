package dev.sdj.cli;

import dev.sdj.api.EngineException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

/**
 * How a failed command ends: one "error:" line naming what failed and where, and an exit code (see the README's
 * table). A stack trace is for sdj's developers, so it is printed only for an internal error with SDJ_DEBUG set.
 */
final class Failures {
    static final int FAILED = 1;
    static final int USAGE = 2;
    static final int INTERNAL = 3;
    /** As a shell reports a command ended by SIGINT. */
    static final int CANCELLED = 130;

    private Failures() {
    }

    static int report(Exception e, PrintWriter err) {
        String message = userMessage(e);
        if (message != null) {
            err.println("error: " + message);
            return FAILED;
        }
        err.println("error: internal error: " + e + " — please report it" + (debug() ? "" : " (SDJ_DEBUG=1 prints the stack trace)"));
        if (debug()) {
            e.printStackTrace(err);
        }
        return INTERNAL;
    }

    /** The Java heap ran out: a limit the user can raise. */
    static int outOfMemory(OutOfMemoryError e, PrintWriter err) {
        err.println("error: out of Java heap memory (" + e.getMessage() + "); give the JVM more, e.g. SDJ_JAVA_OPTS=-Xmx8g ./sdj …");
        return FAILED;
    }

    /** A command line picocli could not parse: what was wrong, and where to look up the right spelling. */
    static int usage(CommandLine.ParameterException e, PrintWriter err) {
        err.println("error: " + e.getMessage() + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
        return USAGE;
    }

    /** What a user can act on, or null for a failure that is a bug in sdj. */
    private static String userMessage(Exception e) {
        if (e instanceof EngineException || e instanceof UserError) {
            return e.getMessage();
        }
        if (e instanceof IOException io) {
            return IoErrors.describe(io);
        }
        if (e instanceof UncheckedIOException io) {
            return IoErrors.describe(io.getCause());
        }
        // The engine states a request it cannot run this way (e.g. a clip skip beyond the model's layers).
        if (e instanceof IllegalArgumentException && e.getMessage() != null) {
            return e.getMessage();
        }
        return null;
    }

    /** SDJ_DEBUG is set (to anything but 0): stack traces of internal errors, and sdj's debug log. */
    static boolean debug() {
        String v = System.getenv("SDJ_DEBUG");
        return v != null && !v.isBlank() && !v.equals("0");
    }
}
