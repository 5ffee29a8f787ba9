package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BenchAudioCommandTest {
    private static BenchCommand.Audio parsed(String... args) {
        BenchCommand.Audio audio = new BenchCommand.Audio();
        new CommandLine(audio).parseArgs(args);
        return audio;
    }

    @Test
    void theDefaultsAreTheAcceptancesLengthsOnTwoCpuThreads() {
        BenchCommand.Audio a = parsed();
        assertEquals(List.of(1, 4, 16), a.seconds);
        assertEquals("CPU", a.on.device);
        assertEquals(2, a.on.threads);
        assertEquals(Path.of(System.getProperty("java.io.tmpdir"), "sdj-ltx2-audio-random"), a.dir);
        BenchCommand.Audio b = parsed("--seconds", "2,8", "-t", "1", "--device", "Vulkan0", "--file", "d");
        assertEquals(List.of(2, 8), b.seconds);
        assertEquals(1, b.on.threads);
        assertEquals("Vulkan0", b.on.device);
        assertEquals(Path.of("d"), b.dir);
    }

    @Test
    void aLengthBelowOneSecondIsRefusedBeforeAnythingIsWritten() {
        CliRun r = CliRun.of("bench", "audio", "--seconds", "1,0", "--file", "/nonexistent-dir/never-written");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--seconds takes whole seconds of at least 1, not [1, 0]"), r.err());
    }
}
