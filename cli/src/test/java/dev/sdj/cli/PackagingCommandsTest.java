package dev.sdj.cli;

import dev.sdj.api.EngineException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a user of the command line gets besides the commands: --version, completion, exit codes and environment in --help. */
class PackagingCommandsTest {
    private static final String PROJECT_VERSION = System.getProperty("sdj.test.project.version");

    @Test
    void versionNamesSdjTheGgmlItLoadsAndWhereThatCameFrom() {
        CliRun r = CliRun.of("--version");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("sdj " + PROJECT_VERSION, lines.get(0));
        assertTrue(lines.get(1).matches("ggml \\d+\\.\\d+\\.\\d+ \\([0-9a-f]+\\)"), lines.get(1));
        assertTrue(lines.get(2).startsWith("natives: bundled " + System.getProperty("sdj.test.natives.package") + " in "), lines.get(2));
    }

    @Test
    void versionStillPrintsWhenGgmlDoesNotLoad() {
        VersionInfo info = new VersionInfo(() -> {
            throw new EngineException("ggml is not usable: cannot load ggml from /nowhere");
        });
        assertArrayEquals(new String[] {"sdj " + PROJECT_VERSION, "ggml: ggml is not usable: cannot load ggml from /nowhere"},
                info.getVersion());
    }

    @Test
    void completionPrintsABashScriptForEveryCommandAndOption(@TempDir Path dir) throws Exception {
        CliRun r = CliRun.of("completion");
        assertEquals(0, r.code(), r.err());
        for (String word : List.of("complete -F", "generate", "plan", "tune", "devices", "inspect", "convert", "bench",
                "--sampling-method", "--max-vram", "--vae-tiling")) {
            assertTrue(r.out().contains(word), word);
        }
        Path script = Files.writeString(dir.resolve("sdj-completion.bash"), r.out());
        Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), new String(bash.getInputStream().readAllBytes()));
    }

    @Test
    void everyCommandsHelpListsTheExitCodesAndTheEnvironment() {
        for (String[] args : List.of(new String[] {"--help"}, new String[] {"generate", "--help"}, new String[] {"devices", "--help"})) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("Exit codes:"), r.out());
            for (String code : HelpFooter.EXIT_CODES.keySet()) {
                assertTrue(r.out().lines().anyMatch(l -> l.strip().startsWith(code + " ")), code + " in " + r.out());
            }
            for (String variable : List.of("SDJ_GGML_DIR", "SDJ_CACHE_DIR", "SDJ_GGML_LOG", "SDJ_DEBUG", "GGML_VK_VISIBLE_DEVICES")) {
                assertTrue(r.out().contains(variable), variable);
            }
        }
    }
}
