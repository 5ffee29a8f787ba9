package dev.sdj.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

class ProgressBarTest {
    private static String run(boolean terminal) {
        StringWriter out = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(out), terminal);
        for (int step = 0; step <= 4; step++) {
            bar.onProgress("denoising", step, 4);
        }
        bar.onProgress("decoding", 0, 1);
        bar.onProgress("decoding", 1, 1);
        bar.finish();
        return out.toString();
    }

    @Test
    void aNonTerminalGetsOneLinePerPhaseAndNoCarriageReturns() {
        String log = run(false);
        assertFalse(log.contains("\r"), log);
        String[] lines = log.split("\n");
        assertEquals(2, lines.length, log);
        assertTrue(lines[0].startsWith("denoising 4/4  ") && lines[0].contains(" s/it"), log);
        assertTrue(lines[1].startsWith("decoding 1/1  "), log);
    }

    @Test
    void aTerminalRedrawsTheLineWithTheTimeLeft() {
        String shown = run(true);
        assertTrue(shown.contains("\rdenoising"), shown);
        assertTrue(shown.contains(" s/it, ") && shown.contains(" s left"), shown);
        assertTrue(shown.endsWith("\n"), "the last line is ended: " + shown);
    }

    @Test
    void numbersUseADecimalPointWhateverTheLocale() {
        Locale saved = Locale.getDefault();
        Locale.setDefault(Locale.GERMANY);
        try {
            String log = run(false);
            assertTrue(log.matches("(?s).*\\d\\.\\d\\d s/it.*"), log);
            assertFalse(log.matches("(?s).*\\d,\\d.*"), log);
        } finally {
            Locale.setDefault(saved);
        }
    }

    @Test
    void aBatchNamesEachImageBeforeItsPhasesAndABatchOfOneDoesNot() {
        StringWriter out = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(out), false);
        for (int image = 0; image < 2; image++) {
            bar.onImage(image, 2);
            bar.onProgress("denoising", 1, 1);
        }
        String[] lines = out.toString().split("\n");
        assertEquals("image 1 of 2", lines[0]);
        assertTrue(lines[1].startsWith("denoising 1/1"), out.toString());
        assertEquals("image 2 of 2", lines[2]);
        StringWriter single = new StringWriter();
        new ProgressBar(new PrintWriter(single), false).onImage(0, 1);
        assertEquals("", single.toString());
    }
}
