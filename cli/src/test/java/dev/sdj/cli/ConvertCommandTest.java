package dev.sdj.cli;

import dev.sdj.core.family.clip.ClipVocabulary;
import dev.sdj.core.family.sd.TinySdModel;
import kotlin.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class ConvertCommandTest {

    @Test
    void helpDocumentsTheFlags() {
        CliRun r = CliRun.of("convert", "--help");
        assertEquals(0, r.code(), r.err());
        for (String flag : new String[] {"--model", "--tokenizer", "--type", "--keep", "--output"}) {
            assertTrue(r.out().contains(flag), flag + " in\n" + r.out());
        }
    }

    @Test
    void aBadTypeIsAUsageErrorNamingTheValidTypes(@TempDir Path dir) {
        CliRun r = CliRun.of("convert", "-m", dir.toString(), "--type", "q9_9", "-o", dir.resolve("out.gguf").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("q9_9") && r.err().contains("q8_0"), r.err());
    }

    @Test
    void convertsAFolderIntoOneGgufThatInspectReadsWithItsTokenizer(@TempDir Path dir) {
        ClipVocabulary vocab = ClipVocabulary.Companion.tinyGenerated(400);
        Path folder = new TinySdModel().writeDiffusersFolder(dir.resolve("tiny"), new Pair<>(vocab.getTokens(), vocab.getMerges()));
        Path out = dir.resolve("tiny-q8_0.gguf");
        CliRun r = CliRun.of("convert", "-m", folder.toString(), "--type", "q8_0", "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + out) && r.out().contains(" q8_0"), r.out());
        assertTrue(r.err().contains("converting"), "progress on stderr: " + r.err());
        CliRun inspect = CliRun.of("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("tokenizer for the text encoder: GGUF metadata"), inspect.out());
    }

    @Test
    void aModelWithoutTokenizerIsOneErrorAndWritesNothing(@TempDir Path dir) throws Exception {
        Path folder = new TinySdModel().writeDiffusersFolder(dir.resolve("tiny"));
        Path out = dir.resolve("out.gguf");
        CliRun r = CliRun.of("convert", "-m", folder.toString(), "-o", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("--tokenizer"), r.err());
        assertFalse(Files.exists(out));
    }
}
