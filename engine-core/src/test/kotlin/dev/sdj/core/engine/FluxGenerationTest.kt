package dev.sdj.core.engine

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.flux.TinyFluxModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.io.ByteArrayInputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import javax.imageio.ImageIO

/**
 * Flux end to end on tiny random models with the real structure: every layout of the same weights (the diffusers
 * folder's split and renamed DiT included) gives the same image, dev and schnell both generate, and the scheduler places the four phases as it places SD's — with nothing
 * Flux-specific in it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux")
    private val dev = TinyFluxModel()
    private val split: List<Path> = dev.writeSplitFiles(dir.resolve("split"))
    private val clipTokenizer: Path = writeClipTokenizer(dir.resolve("clip-tokenizer"))
    private val t5Tokenizer: Path = listOf(Path.of("../../shared/data/t5/tokenizer.json"), Path.of("/work/shared/data/t5/tokenizer.json"))
        .first { Files.isRegularFile(it) }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun writeClipTokenizer(folder: Path): Path {
        val vocab = ClipVocabulary.tinyGenerated(400)
        Files.createDirectories(folder)
        val json = ObjectMapper()
        val ids = json.createObjectNode().apply { vocab.tokens.forEachIndexed { id, token -> put(token, id) } }
        Files.writeString(folder.resolve("vocab.json"), json.writeValueAsString(ids))
        Files.writeString(folder.resolve("merges.txt"), (listOf("#version: 0.2") + vocab.merges).joinToString("\n", postfix = "\n"))
        return folder
    }

    @Test
    fun `the diffusers folder gives the separate files' image, with the tokenizers found inside it`() {
        val vocab = ClipVocabulary.tinyGenerated(400)
        val folder = dev.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"), vocab.tokens to vocab.merges, t5Tokenizer)
        val fromFolder = SdjEngine(EngineConfig(listOf(folder), Optional.empty(), Optional.empty())).use { it.generate(request("CPU")) }
        val fromSplit = SdjEngine(config(split)).use { it.generate(request("CPU")) }
        assertArrayEquals(pixels(fromSplit.png), pixels(fromFolder.png))
    }

    private fun config(paths: List<Path>) = EngineConfig(paths, Optional.of(clipTokenizer), Optional.empty()).withT5Tokenizer(t5Tokenizer)

    private fun request(device: String, placement: String = "auto") =
        GenerationRequest.builder("a lighthouse at (dusk:1.2)").size(64, 48).steps(2).seed(5).cfgScale(1.0).sampler("euler")
            .device(device).threads(2).placement(placement).build()

    private fun pixels(png: ByteArray): IntArray {
        val image = ImageIO.read(ByteArrayInputStream(png))
        return image.getRGB(0, 0, image.width, image.height, null, 0, image.width)
    }

    @Test
    fun `the all-in-one checkpoint and the separate files give the same image, dev and schnell differ`() {
        val single = dev.writeSingleFile(dir.resolve("flux1-tiny-all.safetensors"))
        val fromSplit = SdjEngine(config(split)).use { it.generate(request("CPU")) }
        val fromSingle = SdjEngine(config(listOf(single))).use { it.generate(request("CPU")) }
        assertEquals("Flux.1-class DiT", SdjEngine(config(split)).use { it.modelFamily() })
        // The PNGs' parameters text names the checkpoint (and its hash) when the model is one file; the pixels are the test.
        assertArrayEquals(pixels(fromSplit.png), pixels(fromSingle.png))
        val schnell = TinyFluxModel(FluxArchitecture.SCHNELL_TINY).writeSplitFiles(dir.resolve("schnell"))
        val fromSchnell = SdjEngine(config(schnell)).use { it.generate(request("CPU")) }
        assertFalse(fromSchnell.png.contentEquals(fromSplit.png), "schnell has no guidance input and another shift")
    }
}
