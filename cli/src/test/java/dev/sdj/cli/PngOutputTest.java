package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class PngOutputTest {
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3};

    static Path mkfifo(Path path) throws Exception {
        assertEquals(0, new ProcessBuilder("mkfifo", path.toString()).inheritIO().start().waitFor());
        return path;
    }

    /** Reads a FIFO to its end on another thread, as a consumer of the image would. */
    static CompletableFuture<byte[]> drain(Path fifo) {
        return CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static boolean isFifo(Path p) throws Exception {
        return (((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) & 0xF000) == 0x1000;
    }

    @Test
    void aFifoIsWrittenToAndStaysAFifo(@TempDir Path dir) throws Exception {
        Path fifo = mkfifo(dir.resolve("pipe"));
        CompletableFuture<byte[]> read = drain(fifo);
        PngOutput.prepare(fifo).write(PNG);
        assertArrayEquals(PNG, read.get(10, TimeUnit.SECONDS));
        assertTrue(isFifo(fifo), "the FIFO was replaced");
    }

    @Test
    void aLinkToAFifoStaysALinkAsDevStdoutMust(@TempDir Path dir) throws Exception {
        Path fifo = mkfifo(dir.resolve("pipe"));
        Path stdout = Files.createSymbolicLink(dir.resolve("stdout"), fifo);
        CompletableFuture<byte[]> read = drain(fifo);
        PngOutput.prepare(stdout).write(PNG);
        assertArrayEquals(PNG, read.get(10, TimeUnit.SECONDS));
        assertTrue(Files.isSymbolicLink(stdout) && isFifo(fifo));
    }

    @Test
    void aLinkToARegularFileUpdatesTheFileAndKeepsTheLink(@TempDir Path dir) throws Exception {
        Path real = Files.writeString(Files.createDirectories(dir.resolve("images")).resolve("cat.png"), "old");
        Path link = Files.createSymbolicLink(dir.resolve("latest.png"), real);
        PngOutput.prepare(link).write(PNG);
        assertTrue(Files.isSymbolicLink(link));
        assertArrayEquals(PNG, Files.readAllBytes(real));
        try (var files = Files.list(real.getParent())) {
            assertEquals(1, files.count(), "no temporary file is left");
        }
    }

    @Test
    void overwritingAFileKeepsItsPermissions(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("cat.png"), "old");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        PngOutput.prepare(file).write(PNG);
        assertArrayEquals(PNG, Files.readAllBytes(file));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aNewFileIsWrittenWithItsMissingDirectories(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("a/b/cat.png");
        PngOutput.prepare(file).write(PNG);
        assertArrayEquals(PNG, Files.readAllBytes(file));
    }

    @Test
    void pathsThatCannotTakeAFileAreRefusedBeforeAnyWork(@TempDir Path dir) throws Exception {
        assertEquals("the output path is empty: give a file name with -o, or -o - for standard output",
                assertThrows(UserError.class, () -> PngOutput.prepare(Path.of(""))).getMessage());
        assertEquals("cannot write the image to " + dir + ": it is a directory; give a file name, e.g. " + dir.resolve("output.png"),
                assertThrows(UserError.class, () -> PngOutput.prepare(dir)).getMessage());
        Path file = Files.writeString(dir.resolve("notes.txt"), "x");
        assertEquals("cannot write the image to " + file.resolve("cat.png") + ": " + file + " is not a directory",
                assertThrows(UserError.class, () -> PngOutput.prepare(file.resolve("cat.png"))).getMessage());
        Path dangling = Files.createSymbolicLink(dir.resolve("gone.png"), dir.resolve("missing/x.png"));
        assertEquals("cannot write the image to " + dangling + ": it is a symbolic link to a missing file",
                assertThrows(UserError.class, () -> PngOutput.prepare(dangling)).getMessage());
    }

    @Test
    void aDashMeansStandardOutput() {
        assertEquals("standard output", PngOutput.prepare(Path.of("-")).shown());
    }
}
