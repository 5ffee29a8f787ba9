package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ModelFileException
import dev.sdj.core.bench.SyntheticT5Tokenizer
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assumptions.assumeTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * A component pinned to the CPU is laid out for the CPU, so a tensor the device cannot read does not stop the plan:
 * lavapipe's ops refuse any tensor over 128 MiB (its storage buffer range), which T5-XXL's 32128 × 4096 token
 * embedding is in every type (140 MB at q8_0); pinning T5 to the CPU is the way to run Flux there.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PinnedComponentTypesTest {
    private val dir: Path = Files.createTempDirectory("sdj-pinned")

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    @Test
    fun `T5 with a table the device cannot read plans on the device when pinned to the CPU`() {
        val vulkan = Ggml.get().devices().firstOrNull { it.name() == "Vulkan0" && it.description().contains("llvmpipe") }
        assumeTrue(vulkan != null, "needs lavapipe (GGML_VK_VISIBLE_DEVICES=0), whose 128 MiB limit the table exceeds")
        val tiny = FluxArchitecture.DEV_TINY
        val arch = tiny.copy(t5 = tiny.t5.copy(dModel = 4096, layers = 1))
        val model = TinyFluxModel.quantized(mapOf(ComponentKind.TEXT_ENCODER_2 to DType.Q8_0), arch, seed = 1, sampledBlocks = true)
        val files = listOf(
            ComponentKind.DIFFUSION_MODEL to "flux1.safetensors", ComponentKind.TEXT_ENCODER to "clip_l.safetensors",
            ComponentKind.TEXT_ENCODER_2 to "t5xxl-q8_0.gguf", ComponentKind.VAE to "ae.safetensors",
        ).map { (kind, name) -> model.writeComponent(kind, dir.resolve(name)) }
        val config = EngineConfig(files, Optional.of(clipTokenizer()), Optional.empty()).withT5Tokenizer(SyntheticT5Tokenizer.write(dir.resolve("t5.json")))
        val request = GenerationRequest.builder("x").size(64, 64).cfgScale(1.0).device("Vulkan0")
        SdjEngine(config).use { engine ->
            assertThrows(ModelFileException::class.java) { engine.plan(request.build()) }
            val plan = engine.plan(request.cpuComponents(setOf("text_encoder_2")).build())
            assertEquals("cpu", plan.phases().values.flatMap { it.entries }.first { it.key == ComponentKind.TEXT_ENCODER_2.label }.value)
        }
    }

    private fun clipTokenizer(): Path {
        val vocab = ClipVocabulary.tinyGenerated(400)
        return HuggingFaceClipFiles.write(dir.resolve("clip-tokenizer"), vocab.tokens, vocab.merges)
    }
}
