package dev.sdj.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsoleLogTest {
    private static final String CORE_LOGGER = "dev.sdj.core.image.ModelHashCache";

    @AfterEach
    void restore() {
        ConsoleLog.configure(LogLevels.DEFAULT);
    }

    private static String stderrOf(Runnable logging) {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            logging.run();
        } finally {
            System.setErr(saved);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private static void logSome() {
        LoggerFactory.getLogger(LogLevels.GGML_LOGGER).info("ggml_vulkan: Found 1 Vulkan devices:");
        LoggerFactory.getLogger(LogLevels.GGML_LOGGER).warn("ggml warns");
        LoggerFactory.getLogger(CORE_LOGGER).info("opened a model");
        LoggerFactory.getLogger(CORE_LOGGER).warn("cannot write {}", "the cache");
    }

    @Test
    void theCommandLineBindsTheConsoleLog() {
        assertEquals("dev.sdj.cli.ConsoleLog$ConsoleLogger", LoggerFactory.getLogger(CORE_LOGGER).getClass().getName());
    }

    @Test
    void byDefaultOnlyWarningsShowGgmlsAsGgmlWritesThemAndSdjsWithTheirLevel() {
        ConsoleLog.configure(LogLevels.of(null, false));
        assertEquals("ggml warns\nwarning: cannot write the cache\n", stderrOf(ConsoleLogTest::logSome));
    }

    @Test
    void verboseShowsInformationToo() {
        ConsoleLog.configure(LogLevels.of(null, true));
        assertEquals("ggml_vulkan: Found 1 Vulkan devices:\nggml warns\nnote: opened a model\nwarning: cannot write the cache\n",
                stderrOf(ConsoleLogTest::logSome));
    }

    @Test
    void sdjGgmlLogSetsGgmlsThresholdWhateverVerboseSays() {
        ConsoleLog.configure(LogLevels.of("none", true));
        assertEquals("note: opened a model\nwarning: cannot write the cache\n", stderrOf(ConsoleLogTest::logSome));
        ConsoleLog.configure(LogLevels.of("info", false));
        assertEquals("ggml_vulkan: Found 1 Vulkan devices:\nggml warns\nwarning: cannot write the cache\n",
                stderrOf(ConsoleLogTest::logSome));
    }

    @Test
    void ggmlDebugShowsOnlyWhenAsked() {
        assertFalse(LogLevels.of("info", true).shows(LogLevels.GGML_LOGGER, Level.DEBUG));
        assertTrue(LogLevels.of("DEBUG", false).shows(LogLevels.GGML_LOGGER, Level.DEBUG));
        assertFalse(LogLevels.of("debug", false).shows(CORE_LOGGER, Level.INFO));
    }

    @Test
    void sdjDebugShowsSdjsDebugLinesEachTimedFromTheJvmsStartAndGgmlsInformationOnly() {
        ConsoleLog.configure(LogLevels.of(null, false, true));
        String err = stderrOf(() -> {
            logSome();
            LoggerFactory.getLogger(CORE_LOGGER).debug("loading {}", "weights");
            LoggerFactory.getLogger(LogLevels.GGML_LOGGER).debug("ggml_vulkan: every allocation");
        });
        assertTrue(err.matches("ggml_vulkan: Found 1 Vulkan devices:\nggml warns\nnote: \\[\\d+ ms] opened a model\n"
                + "warning: \\[\\d+ ms] cannot write the cache\ndebug: \\[\\d+ ms] loading weights\n"), err);
        long shown = Long.parseLong(err.replaceAll("(?s).*debug: \\[(\\d+) ms].*", "$1"));
        long uptime = java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime();
        assertTrue(shown > 0 && shown <= uptime, shown + " ms, the JVM up " + uptime + " ms");
    }
}
