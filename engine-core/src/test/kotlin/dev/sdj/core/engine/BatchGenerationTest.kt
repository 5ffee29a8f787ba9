package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.family.ltx2.TinyLtx2Dit
import dev.sdj.core.family.ltx2.TinyLtx2Text
import dev.sdj.core.family.ltx2.TinyLtx2Vae
import dev.sdj.core.family.t5.T5TestVocabulary
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/** Batches on the tiny random SD model: one plan, one load and one prompt encoding, then each image on its own. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-batch")
    private val model: Path = DefaultModel.path(dir)

    /** Single generations with seeds 11, 12 and 13, each on an engine of its own, so each encodes its prompt afresh. */
    private val singles: List<ByteArray> by lazy {
        (0 until 3).map { i -> SdjEngine(EngineConfig.of(model)).use { it.generate(request(11L + i).build()).png } }
    }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(seed: Long) =
        GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(32, 32).steps(2).seed(seed).device("CPU").threads(1)

    /** What a batch reported: the images announced, and each phase's completions per image. */
    private class Heard : ProgressListener {
        val images = ArrayList<Pair<Int, Int>>()
        val finished = ArrayList<Pair<Int, String>>()

        override fun onImage(index: Int, count: Int) {
            images.add(index to count)
        }

        override fun onProgress(phase: String, step: Int, total: Int) {
            if (step == total) finished.add(images.last().first to phase)
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["resident", "sequential", "streamed"])
    fun `a batch of three equals three single generations with consecutive seeds, encoding the prompt once`(placement: String) {
        val heard = Heard()
        val results = ArrayList<Pair<Int, GenerationResult>>()
        SdjEngine(EngineConfig.of(model)).use { engine ->
            engine.generateBatch(request(11).placement(placement).batchCount(3).build(), heard, CancellationToken()) { i, r -> results.add(i to r) }
        }
        assertEquals(listOf(0, 1, 2), results.map { it.first })
        results.forEach { (i, r) ->
            assertArrayEquals(singles[i], r.png(), "image $i under $placement")
            assertEquals(11L + i, r.seed())
            assertTrue(r.parameters().contains("Seed: ${11 + i},"), r.parameters())
        }
        assertEquals(listOf(0 to 3, 1 to 3, 2 to 3), heard.images)
        assertEquals(listOf(0 to "text encoding"), heard.finished.filter { it.second == "text encoding" }, "phases heard: ${heard.finished}")
        assertEquals(listOf(0, 1, 2), heard.finished.filter { it.second == "decoding" }.map { it.first })
        if (placement != "streamed") {
            // Streaming uploads its streamed blocks in every evaluation; the other placements load once.
            assertTrue(results[0].second.uploadedParameterBytes() > 0)
            assertEquals(listOf(0L, 0L), results.drop(1).map { it.second.uploadedParameterBytes() }, "weights loaded again under $placement")
        }
    }

    @Test
    fun `a negative seed draws one random first seed for the batch, and each image's parameters name its own`() {
        val results = SdjEngine(EngineConfig.of(model)).use { engine ->
            val batch = engine.generateBatch(request(GenerationRequest.Builder.RANDOM_SEED).batchCount(2).build(), ProgressListener.NONE, CancellationToken())
            batch + engine.generate(request(batch[1].seed()).build())
        }
        val first = results[0].seed()
        assertTrue(first in 0 until (1L shl 31), "seed $first")
        assertEquals(first + 1, results[1].seed())
        assertTrue(results[0].parameters().contains("Seed: $first,"), results[0].parameters())
        assertTrue(results[1].parameters().contains("Seed: ${first + 1},"), results[1].parameters())
        assertFalse(results[0].png().contentEquals(results[1].png()), "the two seeds give two images")
        assertArrayEquals(results[2].png(), results[1].png(), "the seed in the parameters reproduces the image")
    }

    @Test
    fun `generate refuses a batch and points to generateBatch`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val e = assertThrows(InvalidRequestException::class.java) { engine.generate(request(1).batchCount(2).build()) }
            assertTrue(e.message!!.contains("generateBatch"), e.message)
        }
    }

    @Test
    fun `cancelling stops the batch and keeps the images already handed over`() {
        val cancel = CancellationToken()
        val seeds = ArrayList<Long>()
        SdjEngine(EngineConfig.of(model)).use { engine ->
            assertThrows(GenerationCancelledException::class.java) {
                engine.generateBatch(request(5).batchCount(3).build(), ProgressListener.NONE, cancel) { _, r ->
                    seeds.add(r.seed())
                    cancel.cancel()
                }
            }
        }
        assertEquals(listOf(5L), seeds)
    }

    /** Flux (two text encoders, a DiT) and LTX-2 (Gemma and its connectors, a video DiT, clips), built only when run. */
    private fun otherFamily(family: String): Pair<EngineConfig, GenerationRequest.Builder> = when (family) {
        "flux" -> {
            val vocab = ClipVocabulary.tinyGenerated(400)
            val clipTokenizer = HuggingFaceClipFiles.write(dir.resolve("flux-clip-tokenizer"), vocab.tokens, vocab.merges)
            EngineConfig(TinyFluxModel().writeSplitFiles(dir.resolve("flux")), Optional.of(clipTokenizer), Optional.empty())
                .withT5Tokenizer(T5TestVocabulary.file) to
                GenerationRequest.builder("a lighthouse").size(32, 32).steps(2).cfgScale(1.0).sampler("euler")
        }
        else -> {
            val ltx = dir.resolve("ltx2").also { Files.createDirectories(it) }
            val files = TinyLtx2Text().writeFiles(ltx).all +
                listOf(TinyLtx2Dit().write(ltx.resolve("dit.safetensors")), TinyLtx2Vae().write(ltx.resolve("vae.safetensors")))
            EngineConfig(files, Optional.empty()) to
                GenerationRequest.builder("a red fox").size(64, 64).frames(9).steps(2).cfgScale(1.0).sampler("euler")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["flux", "ltx2"])
    fun `a batch of another family equals single runs and encodes its prompt once`(family: String) {
        val (config, builder) = otherFamily(family)
        val request = builder.seed(3).device("CPU").threads(1)
        val heard = Heard()
        val batch = SdjEngine(config).use { it.generateBatch(request.batchCount(2).build(), heard, CancellationToken()) }
        val single = SdjEngine(config).use { it.generate(request.batchCount(1).seed(4).build()) }
        assertArrayEquals(single.png(), batch[1].png(), family)
        single.video().ifPresent { clip ->
            clip.frames().forEachIndexed { f, frame -> assertArrayEquals(frame, batch[1].video().orElseThrow().frames()[f], "frame $f") }
        }
        assertFalse(batch[0].png().contentEquals(batch[1].png()))
        assertTrue(heard.finished.any { it.first == 0 && it.second.startsWith("text") }, "phases heard: ${heard.finished}")
        assertEquals(setOf("denoising", "decoding"), heard.finished.filter { it.first == 1 }.map { it.second }.toSet(),
            "phases heard: ${heard.finished}")
    }
}
