package dev.sdj.cli;

import dev.sdj.api.GenerationRequest;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class ThreadsOptionTest {
    private static final int AVAILABLE = Runtime.getRuntime().availableProcessors();

    private static GenerationRequest requestWith(Integer threads, StringWriter err) {
        ThreadsOption option = new ThreadsOption();
        option.threads = threads;
        return option.applyTo(GenerationRequest.builder("x"), new PrintWriter(err, true)).build();
    }

    @Test
    void moreThreadsThanProcessorsAreCappedWithAWarning() {
        StringWriter err = new StringWriter();
        assertEquals(Optional.of(AVAILABLE), requestWith(AVAILABLE * 32, err).threads());
        assertEquals("warning: --threads " + AVAILABLE * 32 + " is more than the " + AVAILABLE
                + " processors available, which only slows ggml down; using " + AVAILABLE, err.toString().strip());
    }

    @Test
    void threadsWithinTheProcessorCountPassUnchangedAndSilently() {
        StringWriter err = new StringWriter();
        assertEquals(Optional.of(1), requestWith(1, err).threads());
        assertEquals(Optional.empty(), requestWith(null, err).threads());
        assertEquals("", err.toString());
    }

    @Test
    void zeroOrLessMeansTheDefaultAsInStableDiffusionCpp() {
        StringWriter err = new StringWriter();
        assertEquals(Optional.empty(), requestWith(-1, err).threads());
        assertEquals(Optional.empty(), requestWith(0, err).threads());
        assertEquals("", err.toString());
    }

    @Test
    void helpStatesTheCapAndTheDefault() {
        String help = CliRun.of("generate", "--help").out().replaceAll("\\s+", " ");
        assertTrue(help.contains("at most the processors available (default: one per physical core)"), help);
    }
}
