package dev.sdj.ggml;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.*;

class CacheTempsTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    /** The id of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private static Path file(Path dir, String name, Duration age) throws Exception {
        Path p = Files.writeString(dir.resolve(name), "partial");
        Files.setLastModifiedTime(p, FileTime.from(NOW.minus(age)));
        return p;
    }

    @Test
    void aTemporaryOfAKilledProcessIsRemoved(@TempDir Path dir) throws Exception {
        Path leftover = file(dir, ".default-model." + deadPid() + ".123.gguf", Duration.ofMinutes(2));
        CacheTemps.sweep(dir, "default-model", NOW);
        assertFalse(Files.exists(leftover));
    }

    @Test
    void aTemporaryBeingWrittenIsKept(@TempDir Path dir) throws Exception {
        long self = ProcessHandle.current().pid();
        Path live = file(dir, ".default-model." + self + ".1.gguf", Duration.ofMinutes(5));
        Path justStarted = file(dir, ".default-model." + deadPid() + ".2.gguf", Duration.ofSeconds(10));
        CacheTemps.sweep(dir, "default-model", NOW);
        assertTrue(Files.exists(live), "its process is alive");
        assertTrue(Files.exists(justStarted), "too young to judge by a process id that may belong to another namespace");
    }

    @Test
    void anyTemporaryOlderThanTheLongestWriteIsRemoved(@TempDir Path dir) throws Exception {
        long self = ProcessHandle.current().pid();
        Path reusedPid = file(dir, ".default-model." + self + ".1.gguf", Duration.ofMinutes(11));
        Path legacyName = file(dir, ".default-model8812345.gguf", Duration.ofMinutes(11));
        CacheTemps.sweep(dir, "default-model", NOW);
        assertFalse(Files.exists(reusedPid));
        assertFalse(Files.exists(legacyName));
    }

    @Test
    void staleDirectoriesGoWithTheirContentAndOtherFilesStay(@TempDir Path dir) throws Exception {
        Path staging = Files.createDirectories(dir.resolve(".extract." + deadPid() + ".77"));
        Files.writeString(staging.resolve("libggml-base.so"), "half");
        Files.setLastModifiedTime(staging, FileTime.from(NOW.minus(Duration.ofMinutes(3))));
        Path model = file(dir, "tiny-random-sd1-v2.gguf", Duration.ofDays(30));
        Path otherKind = file(dir, ".tune." + deadPid() + ".1.json", Duration.ofDays(30));
        CacheTemps.sweep(dir, "extract", NOW);
        assertFalse(Files.exists(staging));
        assertTrue(Files.exists(model) && Files.exists(otherKind));
    }

    @Test
    void aMissingDirectoryHasNothingToSweep(@TempDir Path dir) {
        assertDoesNotThrow(() -> CacheTemps.sweep(dir.resolve("not-yet"), "extract", NOW));
    }

    @Test
    void theOwnerIsReadFromTheName() {
        assertEquals(OptionalLong.of(4242), CacheTemps.owner(".extract.4242.99", "extract"));
        assertEquals(OptionalLong.empty(), CacheTemps.owner(".extract-99", "extract"));
        assertEquals(OptionalLong.empty(), CacheTemps.owner(".extract.x1.99", "extract"));
        assertTrue(CacheTemps.prefix("tune").startsWith(".tune." + ProcessHandle.current().pid() + "."));
    }
}
