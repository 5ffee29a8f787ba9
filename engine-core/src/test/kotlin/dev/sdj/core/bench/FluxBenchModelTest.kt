package dev.sdj.core.bench

import dev.sdj.api.Engine
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.t5.T5Vocabulary
import dev.sdj.core.model.DType
import dev.sdj.core.model.gguf.GgufFile
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path

/**
 * The benchmark's Flux model, at the tiny architecture: its quantized DiT and T5 GGUFs and both generated tokenizers
 * open and generate, so the full-size run fails only for size, never for a file the engine cannot read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxBenchModelTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux-bench")

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    @Test
    fun `the quantized files and generated tokenizers open and generate`() {
        val config = FluxBenchModel.prepare(dir, FluxArchitecture.DEV_TINY)
        val dit = GgufFile.read(dir.resolve("flux1-random-Q4_K.gguf"))
        assertTrue(dit.tensors.any { it.type == DType.Q4_K }, "the DiT's linear weights are Q4_K")
        val t5 = GgufFile.read(dir.resolve("t5xxl-Q8_0.gguf"))
        assertTrue(t5.tensors.any { it.type == DType.Q8_0 }, "T5's linear weights are Q8_0")
        val png = Engine.open(config).use { engine ->
            engine.generate(GenerationRequest.builder("a lighthouse at dusk").size(64, 64).steps(1).cfgScale(1.0).device("CPU").threads(2).build())
        }.png()
        assertTrue(png.size > 100)
        // Prepared again, nothing is rewritten.
        val modified = Files.getLastModifiedTime(dir.resolve("flux1-random-Q4_K.gguf"))
        FluxBenchModel.prepare(dir, FluxArchitecture.DEV_TINY)
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve("flux1-random-Q4_K.gguf")))
    }

    @Test
    fun `the synthetic T5 tokenizer reads as a unigram vocabulary with T5's specials`() {
        val vocab = T5Vocabulary.fromTokenizerJson(SyntheticT5Tokenizer.write(dir.resolve("t5.json")))
        assertEquals(SyntheticT5Tokenizer.pieces().size, vocab.size)
        assertEquals(0, vocab.padId)
        assertEquals(1, vocab.eosId)
        assertEquals(2, vocab.unkId)
        assertTrue(vocab.size < FluxArchitecture.DEV.t5.vocabSize)
    }
}
