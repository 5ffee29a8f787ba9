package dev.sdj.ggml;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The build's native fetch step fails with one clear message for each way it can go wrong. */
class FetchScriptTest {
    private static final Path SCRIPT = Path.of("natives/fetch-ggml.sh").toAbsolutePath();
    private static final String PKG = "@node-llama-cpp/linux-x64-vulkan";
    private static final String INTEGRITY = "sha512-bBxqU+JOcBu1nb5Qj2zcMci+JByT1E8EajHvYodyNfVIPkEhXh+/HMwR1/BT7xP08YK0hks+kM8fglER0P8JEg==";

    private record Result(int code, String stderr) {
    }

    private static Result run(Path cache, Path out, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", SCRIPT.toString(), PKG, "3.22.1", INTEGRITY, out.toString());
        pb.environment().put("SDJ_BUILD_CACHE", cache.toString());
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        return new Result(p.waitFor(), err);
    }

    @Test
    void aTamperedTarballIsRejectedWithBothChecksums(@TempDir Path tmp) throws Exception {
        Path npm = Files.createDirectories(tmp.resolve("cache/npm"));
        Files.writeString(npm.resolve("node-llama-cpp-linux-x64-vulkan-3.22.1.tgz"), "not the real package");
        Result r = run(tmp.resolve("cache"), tmp.resolve("out"), Map.of());
        assertNotEquals(0, r.code());
        assertTrue(r.stderr().contains("checksum mismatch") && r.stderr().contains(INTEGRITY), r.stderr());
        assertFalse(Files.exists(tmp.resolve("out/libggml-base.so")));
    }

    @Test
    void missingNpmSaysWhatToInstall(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String tool : new String[]{"mkdir", "tr"}) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of(which(tool)));
        }
        Result r = run(tmp.resolve("empty-cache"), tmp.resolve("out"), Map.of("PATH", bin.toString()));
        assertNotEquals(0, r.code());
        assertTrue(r.stderr().contains("npm is needed") && r.stderr().contains("apt-get install -y npm"), r.stderr());
    }

    private static String which(String tool) throws IOException {
        for (String dir : new String[]{"/usr/bin", "/bin"}) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return dir + "/" + tool;
            }
        }
        throw new IOException(tool + " not found");
    }
}
