package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.TinyFluxLoras
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.family.t5.T5TestVocabulary
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/** Flux LoRAs merged as the DiT loads, on the CPU: a diffusers-named one patching row ranges of the fused BFL weights, with a BFL-named one. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxLoraGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux-lora-generation")
    private val tiny = TinyFluxModel()
    private val files: List<Path> = tiny.writeSplitFiles(dir.resolve("split"))
    private val clipTokenizer: Path = ClipVocabulary.tinyGenerated(400).let { HuggingFaceClipFiles.write(dir.resolve("clip-tokenizer"), it.tokens, it.merges) }
    private val diffusersLora: Path = dir.resolve("diffusers.safetensors").also { TinyFluxLoras(tiny.arch).write(it, TinyFluxLoras.Naming.DIFFUSERS) }
    private val bflLora: Path = dir.resolve("bfl.safetensors").also { TinyFluxLoras(tiny.arch).write(it, TinyFluxLoras.Naming.BFL, seed = 2) }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun engine() = SdjEngine(EngineConfig(files, Optional.of(clipTokenizer), Optional.empty()).withT5Tokenizer(T5TestVocabulary.file))

    private fun request(placement: String = "resident") =
        GenerationRequest.builder("a lighthouse at dusk").size(32, 32).steps(1).seed(5).cfgScale(1.0).sampler("euler")
            .device("CPU").threads(2).placement(placement).build()

    @Test
    fun `a LoRA of weight zero leaves the image as it is, and with weight the image is the same resident and streamed`() {
        engine().use { engine ->
            val plain = engine.generate(request()).rgb()
            assertArrayEquals(plain, engine.generate(request().toBuilder().lora(diffusersLora, 0.0).build()).rgb(), "weight 0")
            val adapted = request().toBuilder().lora(diffusersLora, 0.8).lora(bflLora, 0.5).build()
            val resident = engine.generate(adapted).rgb()
            assertFalse(plain.contentEquals(resident), "the LoRAs change the image")
            val streamed = adapted.toBuilder().placement("streamed").build()
            val smallest = engine.plan(streamed).peakByPlacement().getValue("streamed")
            val result = engine.generate(streamed.toBuilder().maxDeviceMemory(smallest).build())
            assertTrue(result.placement().streamedBlocks().isNotEmpty(), "blocks were streamed")
            assertArrayEquals(resident, result.rgb(), "streamed")
        }
    }
}
