package dev.sdj.ggml;

import dev.sdj.ggml.testlog.RecordedLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class NativesDirectoryTest {

    @Test
    void bundledNativesAreExtractedOnceIntoAContentNamedDirectory(@TempDir Path cache) throws IOException {
        NativesDirectory first = NativesDirectory.extractBundled(cache);
        Path dir = first.path();
        assertTrue(dir.getFileName().toString().startsWith("3.22.1-"), dir.toString());
        assertTrue(Files.isRegularFile(dir.resolve("libggml-base.so")));
        assertTrue(Files.isRegularFile(dir.resolve("libggml-vulkan.so")));
        assertTrue(first.origin().contains("@node-llama-cpp/linux-x64-vulkan@3.22.1"), first.origin());

        FileTime before = Files.getLastModifiedTime(dir.resolve("libggml-base.so"));
        NativesDirectory second = NativesDirectory.extractBundled(cache);
        assertEquals(dir, second.path());
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("libggml-base.so")), "a complete cache is reused");
    }

    @Test
    void anIncompleteCacheIsReplaced(@TempDir Path cache) throws IOException {
        Path dir = NativesDirectory.extractBundled(cache).path();
        Files.delete(dir.resolve(".complete"));
        Files.delete(dir.resolve("libggml-base.so"));
        NativesDirectory again = NativesDirectory.extractBundled(cache);
        assertEquals(dir, again.path());
        assertTrue(Files.isRegularFile(dir.resolve("libggml-base.so")));
        assertTrue(Files.isRegularFile(dir.resolve(".complete")));
        try (var leftovers = Files.list(cache.resolve("ggml"))) {
            assertEquals(1, leftovers.count(), "no staging directories are left behind");
        }
    }

    @Test
    void aTruncatedLibraryIsExtractedAgainBeforeItIsLoaded(@TempDir Path cache) throws IOException {
        Path lib = NativesDirectory.extractBundled(cache).path().resolve("libggml-base.so");
        byte[] original = Files.readAllBytes(lib);
        try (FileChannel channel = FileChannel.open(lib, StandardOpenOption.WRITE)) {
            channel.truncate(original.length / 2);
        }
        NativesDirectory again = NativesDirectory.extractBundled(cache);
        assertArrayEquals(original, Files.readAllBytes(again.path().resolve("libggml-base.so")));
        String warning = "the ggml natives in " + again.path() + " are incomplete or damaged; replacing them";
        assertTrue(RecordedLog.of(NativesDirectory.class.getName()).contains(new RecordedLog.Event(
                NativesDirectory.class.getName(), Level.WARN, warning)), RecordedLog.events().toString());
    }

    @Test
    void aLibraryWithAFlippedBitIsExtractedAgainBeforeItIsLoaded(@TempDir Path cache) throws IOException {
        Path lib = NativesDirectory.extractBundled(cache).path().resolve("libggml-cpu-x64.so");
        byte[] original = Files.readAllBytes(lib);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x10;
        Files.write(lib, damaged);
        NativesDirectory again = NativesDirectory.extractBundled(cache);
        assertArrayEquals(original, Files.readAllBytes(again.path().resolve("libggml-cpu-x64.so")));
        try (var leftovers = Files.list(cache.resolve("ggml"))) {
            assertEquals(1, leftovers.count(), "the damaged copy is replaced, not kept beside the new one");
        }
    }

    @Test
    void aVerifiedLibraryIsTrustedByItsSizeAndTimeWithoutBeingReadAgain(@TempDir Path cache) throws IOException {
        Path lib = NativesDirectory.extractBundled(cache).path().resolve("libggml-cpu-x64.so");
        byte[] original = Files.readAllBytes(lib);
        FileTime verified = Files.getLastModifiedTime(lib);
        byte[] unread = original.clone();
        unread[unread.length / 2] ^= 0x10;
        Files.write(lib, unread);
        Files.setLastModifiedTime(lib, verified);
        NativesDirectory.extractBundled(cache);
        // Only the stamp was compared: a start no longer hashes the 60 MB of libraries.
        assertArrayEquals(unread, Files.readAllBytes(lib));
    }

    @Test
    void aMarkerWithoutStampsIsVerifiedByHashesOnceAndStamped(@TempDir Path cache) throws IOException {
        Path dir = NativesDirectory.extractBundled(cache).path();
        Files.writeString(dir.resolve(NativesDirectory.COMPLETE), "ok\n");
        FileTime before = Files.getLastModifiedTime(dir.resolve("libggml-base.so"));
        NativesDirectory.extractBundled(cache);
        assertEquals(before, Files.getLastModifiedTime(dir.resolve("libggml-base.so")), "the hashes matched: nothing extracted again");
        List<String> stamps = Files.readAllLines(dir.resolve(NativesDirectory.COMPLETE));
        assertTrue(stamps.contains("libggml-base.so\t" + Files.size(dir.resolve("libggml-base.so")) + "\t" + before), stamps.toString());
        try (var leftovers = Files.list(cache.resolve("ggml"))) {
            assertEquals(1, leftovers.count(), "the new marker was renamed into place");
        }
    }

    @Test
    void aStagingDirectoryLeftByAKilledExtractionIsRemoved(@TempDir Path cache) throws Exception {
        Path ggml = NativesDirectory.extractBundled(cache).path().getParent();
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path staging = Files.createDirectories(ggml.resolve("." + NativesDirectory.STAGING + "." + gone.pid() + ".1"));
        Files.writeString(staging.resolve("libggml-base.so"), "half a library");
        Files.setLastModifiedTime(staging, FileTime.from(java.time.Instant.now().minusSeconds(600)));
        NativesDirectory.extractBundled(cache);
        assertFalse(Files.exists(staging));
    }

    @Test
    void overrideMustBeADirectoryWithGgmlBase(@TempDir Path tmp) throws IOException {
        GgmlException notDir = assertThrows(GgmlException.class,
                () -> NativesDirectory.fromOverride(tmp.resolve("missing"), "SDJ_GGML_DIR"));
        assertTrue(notDir.getMessage().contains("not a directory"), notDir.getMessage());
        GgmlException noBase = assertThrows(GgmlException.class, () -> NativesDirectory.fromOverride(tmp, "SDJ_GGML_DIR"));
        assertTrue(noBase.getMessage().contains("libggml-base.so"), noBase.getMessage());
        Files.writeString(tmp.resolve("libggml-base.so"), "");
        NativesDirectory ok = NativesDirectory.fromOverride(tmp, "SDJ_GGML_DIR");
        assertTrue(ok.origin().contains("user ggml build"), ok.origin());
    }
}
