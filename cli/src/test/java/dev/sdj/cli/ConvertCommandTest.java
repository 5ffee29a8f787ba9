package dev.sdj.cli;

import dev.sdj.core.family.clip.ClipVocabulary;
import dev.sdj.core.family.flux.TinyFluxModel;
import dev.sdj.core.family.sd.TinySdModel;
import kotlin.Pair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class ConvertCommandTest {

    @Test
    void helpDocumentsTheFlags() {
        CliRun r = CliRun.of("convert", "--help");
        assertEquals(0, r.code(), r.err());
        for (String flag : new String[] {"--model", "--tokenizer", "--t5-tokenizer", "--type", "--keep", "--output"}) {
            assertTrue(r.out().contains(flag), flag + " in\n" + r.out());
        }
    }

    @Test
    void noModelIsAUsageError(@TempDir Path dir) {
        CliRun r = CliRun.of("convert", "-o", dir.resolve("out.gguf").toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("--model"), r.err());
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
    void convertsFluxFilesWithBothTokenizersIntoOneGgufThatCarriesThem(@TempDir Path dir) {
        ClipVocabulary vocab = ClipVocabulary.Companion.tinyGenerated(400);
        TinyFluxModel flux = new TinyFluxModel();
        Path folder = flux.writeDiffusersFolder(dir.resolve("folder"), new Pair<>(vocab.getTokens(), vocab.getMerges()), null);
        List<Path> files = flux.writeSplitFiles(dir.resolve("split"), "flux1-tiny.safetensors");
        Path t5 = Stream.of(Path.of("../../shared/data/t5/tokenizer.json"), Path.of("/work/shared/data/t5/tokenizer.json"))
                .filter(Files::isRegularFile).findFirst().orElseThrow();
        Path out = dir.resolve("flux-q8_0.gguf");
        CliRun r = CliRun.of("convert", "--diffusion-model", files.get(0).toString(), "--clip_l", files.get(1).toString(),
                "--t5xxl", files.get(2).toString(), "--vae", files.get(3).toString(), "--tokenizer", folder.resolve("tokenizer").toString(),
                "--t5-tokenizer", t5.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Flux") && r.out().contains(" q8_0"), r.out());
        CliRun inspect = CliRun.of("inspect", out.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("tokenizer for the text encoder: GGUF metadata"), inspect.out());
        assertTrue(inspect.out().contains("T5 tokenizer in the GGUF metadata of " + out), inspect.out());
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
