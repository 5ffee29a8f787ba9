package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A bad ggml override gives one clear error and a non-zero exit, never a JVM crash (run in a separate JVM). */
class BrokenGgmlTest {

    private record Result(int code, String stdout, String stderr) {
    }

    private static Result devicesWith(String ggmlDir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.sdj.cli.Main", "devices");
        pb.environment().put("SDJ_GGML_DIR", ggmlDir);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        return new Result(p.waitFor(), out, err);
    }

    @Test
    void overrideThatIsNotADirectory(@TempDir Path tmp) throws Exception {
        Result r = devicesWith(tmp.resolve("nowhere").toString());
        assertEquals(1, r.code(), r.stderr());
        assertTrue(r.stderr().startsWith("error: ") && r.stderr().contains("SDJ_GGML_DIR") && r.stderr().contains("not a directory"),
                r.stderr());
        assertEquals("", r.stdout());
    }

    @Test
    void librariesThatFailToLoad(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("libggml-base.so"), "this is not an ELF file");
        Files.writeString(tmp.resolve("libggml.so"), "neither is this");
        Result r = devicesWith(tmp.toString());
        assertEquals(1, r.code(), r.stderr());
        assertTrue(r.stderr().startsWith("error: ggml is not usable: cannot load ggml from " + tmp), r.stderr());
        assertFalse(r.stderr().contains("Exception"), "no stack trace for a user error: " + r.stderr());
    }
}
