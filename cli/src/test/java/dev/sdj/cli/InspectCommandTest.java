package dev.sdj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sdj.core.family.ltx2.TinyLtx2Text;
import dev.sdj.core.family.sd.TinySdModel;
import dev.sdj.core.model.DType;
import dev.sdj.core.model.TensorData;
import dev.sdj.core.model.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class InspectCommandTest {

    @Test
    void jsonReportsFamilyComponentsBytesAndTokenizer(@TempDir Path dir) throws Exception {
        Path folder = new TinySdModel().writeDiffusersFolder(dir.resolve("tiny"));
        CliRun r = CliRun.of("inspect", "--json", folder.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode root = new ObjectMapper().readTree(r.out());
        assertEquals("SD1", root.get("family").asText());
        assertEquals(3, root.get("components").size());
        for (JsonNode c : root.get("components")) {
            assertTrue(c.get("parameters").asLong() > 0, c.toString());
            assertTrue(c.get("bytesByType").get("F16").asLong() > 0, c.toString());
            assertTrue(c.get("deviceBytes").get("CPU").asLong() >= c.get("fileBytes").asLong(), c.toString());
            assertTrue(c.get("deviceBytes").has("Vulkan0"), c.toString());
        }
        assertEquals("TEXT_ENCODER", root.get("missingTokenizers").get(0).asText(), "the tiny folder has no tokenizer/");
    }

    @Test
    void aTokenizerPathIsReportedAsFound(@TempDir Path dir) throws Exception {
        Path file = new TinySdModel().writeSingleFile(dir.resolve("tiny.safetensors"));
        // ../shared sits beside the checkout (CI copies it there); a developer's checkout may sit under /work
        Path clip = Path.of("../../shared/data/clip/bpe_simple_vocab_16e6.txt.gz").toAbsolutePath().normalize();
        if (!Files.isRegularFile(clip)) {
            clip = Path.of("/work/shared/data/clip/bpe_simple_vocab_16e6.txt.gz");
        }
        assertTrue(Files.isRegularFile(clip), "the shared CLIP vocabulary is missing: expected ../shared/data/clip beside the checkout");
        CliRun r = CliRun.of("inspect", file.toString(), "--tokenizer", clip.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("family: Stable Diffusion 1.x"), r.out());
        assertTrue(r.out().contains("tokenizer for the text encoder: OpenAI CLIP BPE file"), r.out());
    }

    /** A Flux model is a few tensor names with dummy data; its T5 tokenizer is the shared tokenizer.json, named in place. */
    @Test
    void aFluxModelsT5TokenizerIsReportedOrAskedFor(@TempDir Path dir) throws Exception {
        Path flux = dir.resolve("flux1-schnell.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        for (String name : List.of("double_blocks.0.img_attn.qkv.weight", "img_in.weight", "encoder.block.0.layer.0.SelfAttention.q.weight")) {
            w.addTensor(name, DType.F16, List.of(4L), TensorData.Companion.of(ByteBuffer.allocate(8)));
        }
        w.write(flux);
        CliRun missing = CliRun.of("inspect", flux.toString());
        assertEquals(0, missing.code(), missing.err());
        assertTrue(missing.out().contains("tokenizer for the text encoder 2 (T5): missing — pass --t5-tokenizer"), missing.out());

        Path t5 = Path.of("../../shared/data/t5/tokenizer.json").toAbsolutePath().normalize();
        if (!Files.isRegularFile(t5)) {
            t5 = Path.of("/work/shared/data/t5/tokenizer.json");
        }
        assertTrue(Files.isRegularFile(t5), "the shared T5 tokenizer is missing: expected ../shared/data/t5 beside the checkout");
        CliRun found = CliRun.of("inspect", flux.toString(), "--t5-tokenizer", t5.toString());
        assertEquals(0, found.code(), found.err());
        assertTrue(found.out().contains("tokenizer for the text encoder 2: T5 tokenizer " + t5), found.out());
    }

    /** LTX-2's conditioner as downloaded: the Gemma-3 GGUF, the DiT's connectors and the projections file. */
    @Test
    void anLtx2ConditionerIsRecognisedWithItsGemmaVocabulary(@TempDir Path dir) throws Exception {
        TinyLtx2Text.TextFiles files = new TinyLtx2Text().writeFiles(dir);
        CliRun r = CliRun.of("inspect", files.getGemma().toString(), files.getConnectors().toString(), files.getProjections().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("family: LTX-2"), r.out());
        assertTrue(r.out().contains("text encoder") && r.out().contains("text connectors"), r.out());
        assertTrue(r.out().contains("tokenizer for the text encoder: Gemma-3 tokenizer in the GGUF metadata of " + files.getGemma()), r.out());

        CliRun missing = CliRun.of("inspect", files.getConnectors().toString(), files.getProjections().toString());
        assertEquals(0, missing.code(), missing.err());
        assertFalse(missing.out().contains("tokenizer for the text encoder"), "no text encoder, no tokenizer asked for: " + missing.out());
    }

    @Test
    void badInputsGiveOneClearError(@TempDir Path dir) throws Exception {
        CliRun missing = CliRun.of("inspect", dir.resolve("nope.safetensors").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("error: ") && missing.err().contains("no such file"), missing.err());

        Path junk = Files.writeString(dir.resolve("junk.safetensors"), "definitely not a model");
        CliRun corrupt = CliRun.of("inspect", junk.toString());
        assertEquals(1, corrupt.code());
        assertTrue(corrupt.err().contains(junk.toString()), corrupt.err());
        assertFalse(corrupt.err().contains("Exception"), corrupt.err());

        Path vaeOnly = new TinySdModel().writeSplitFiles(dir.resolve("split")).get(1);
        CliRun partial = CliRun.of("inspect", vaeOnly.toString());
        assertEquals(1, partial.code());
        assertTrue(partial.err().contains("no diffusion model"), partial.err());
    }
}
