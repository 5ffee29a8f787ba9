package dev.sdj.cli;

import dev.sdj.api.InvalidRequestException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;

import static org.junit.jupiter.api.Assertions.*;

class FailuresTest {
    private record Reported(int code, String err) {
    }

    private static Reported report(Exception e) {
        StringWriter err = new StringWriter();
        int code = Failures.report(e, new PrintWriter(err, true));
        return new Reported(code, err.toString());
    }

    @Test
    void userErrorsAreOneLineWithExitCode1() {
        assertEquals(new Reported(1, "error: steps must be at least 1, got 0\n"), report(new InvalidRequestException("steps must be at least 1, got 0")));
        assertEquals(new Reported(1, "error: clip skip must be between 1 and 2, got 100\n"),
                report(new IllegalArgumentException("clip skip must be between 1 and 2, got 100")));
    }

    @Test
    void ioErrorsNameTheFileAndTheReasonWithoutAStackTrace() {
        assertEquals(new Reported(1, "error: /cache/models: permission denied\n"), report(new AccessDeniedException("/cache/models")));
        assertEquals(new Reported(1, "error: /x/tune.json: no such file or directory\n"),
                report(new UncheckedIOException(new java.nio.file.NoSuchFileException("/x/tune.json"))));
        assertEquals(new Reported(1, "error: disk full\n"), report(new IOException("disk full")));
    }

    @Test
    void anUnexpectedExceptionIsAnInternalErrorWithExitCode3() {
        Reported r = report(new IndexOutOfBoundsException("Index 5 out of bounds for length 3"));
        assertEquals(3, r.code());
        assertTrue(r.err().startsWith("error: internal error: java.lang.IndexOutOfBoundsException: Index 5 out of bounds for length 3"
                + " — please report it"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace unless SDJ_DEBUG is set: " + r.err());
    }

    @Test
    void runningOutOfHeapSaysHowToGiveTheJvmMore() {
        StringWriter err = new StringWriter();
        assertEquals(1, Failures.outOfMemory(new OutOfMemoryError("Java heap space"), new PrintWriter(err, true)));
        assertEquals("error: out of Java heap memory (Java heap space); give the JVM more, e.g. SDJ_JAVA_OPTS=-Xmx8g ./sdj …",
                err.toString().strip());
    }

    @Test
    void usageErrorsAreOneLineWithExitCode2() {
        CliRun r = CliRun.of("generate", "-p", "x", "--bogus");
        assertEquals(2, r.code());
        assertEquals("error: Unknown option: '--bogus' (see 'sdj generate --help')", r.err().strip());
    }
}
