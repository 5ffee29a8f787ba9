package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.lora.TinyLoras
import dev.sdj.core.model.ComponentKind
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs

/**
 * LoRAs applied as low-rank graph ops (`--lora-apply-mode at_runtime`), on the CPU with the tiny SD 1.x model and a
 * LoRA over its transformer projections, two LoCon convolutions and the text encoder: against merging, without a
 * LoRA, and under every placement, with the plan predicting what the ledger holds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LowRankLoraGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-low-rank-lora")
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val tiny = TinySdModel(TinySdModel.SD1_TINY.let { it.copy(clip = it.clip.copy(vocabSize = vocab.size)) })
    private val model: Path = tiny.writeSingleFile(dir.resolve("tiny.gguf"), vocab.tokens to vocab.merges)
    private val lora: Path = dir.resolve("a.safetensors").also { TinyLoras(tiny.arch).write(it, TinyLoras.Format.KOHYA_DIFFUSERS, seed = 1) }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(multiplier: Double = 1.0, mode: String = "at_runtime", placement: String = "resident") =
        GenerationRequest.builder("a lighthouse at dusk").negativePrompt("fog").size(64, 64).steps(1).seed(11).sampler("euler")
            .device("CPU").threads(2).placement(placement).lora(lora, multiplier).loraApplyMode(mode).build()

    private fun GenerationResult.assertPlanned() =
        assertEquals(placement().peakBytes(), peakDeviceBytes().getValue("CPU"), "${placement().placement()}: predicted peak = ledger peak")

    @Test
    fun `at weight zero the graph ops leave the image byte for byte, and at weight one they give the merged image within rounding`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val plain = engine.generate(request().toBuilder().loras(emptyList()).build()).rgb()
            val zero = engine.generate(request(0.0))
            assertArrayEquals(plain, zero.rgb(), "weight 0 at runtime")
            val lowRank = engine.generate(request())
            assertFalse(plain.contentEquals(lowRank.rgb()), "weight 1 changes the image")
            assertTrue(lowRank.placement().loraPaths().getValue("a.safetensors").contains("low-rank"), lowRank.placement().loraPaths().toString())
            val merged = engine.generate(request(mode = "immediately")).rgb()
            // The merge rounds W + ΔW to the weights' f16 once, the graph ops add ΔW's product in f32: 2 levels here, bound 4.
            val largest = merged.indices.maxOf { abs((merged[it].toInt() and 0xff) - (lowRank.rgb()[it].toInt() and 0xff)) }
            println("low-rank vs merged: largest pixel difference $largest of 255")
            assertTrue(largest <= 4, "low-rank vs merged differ by $largest levels")
            assertFalse(plain.contentEquals(merged), "the merge changed the image too")
        }
    }

    @Test
    fun `the graph ops give the same image resident, sequential and streamed, and the plan counts their tensors`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val resident = engine.generate(request())
            resident.assertPlanned()
            val plan = engine.plan(request())
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL)) {
                assertEquals(plan.parameterBytes().getValue(kind.label), engine.residentBytes(kind), "${kind.label} allocated, adapters included")
            }
            val sequential = engine.generate(request(placement = "sequential"))
            sequential.assertPlanned()
            assertArrayEquals(resident.rgb(), sequential.rgb(), "sequential")
            val smallest = engine.plan(request(placement = "streamed")).peakByPlacement().getValue("streamed")
            val streamed = engine.generate(request(placement = "streamed").toBuilder().maxDeviceMemory(smallest).build())
            assertTrue(streamed.placement().streamedBlocks().isNotEmpty(), "blocks were streamed")
            streamed.assertPlanned()
            assertArrayEquals(resident.rgb(), streamed.rgb(), "streamed")
        }
    }

    @Test
    fun `auto adds a LoRA to quantized weights as graph ops and merges it into f16 ones`() {
        SdjEngine(EngineConfig.of(model).withWeightType("q8_0")).use { engine ->
            val paths = engine.plan(request(mode = "auto")).loraPaths().getValue("a.safetensors")
            assertTrue(paths.contains("low-rank: q8_0 weights"), paths)
        }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val paths = engine.plan(request(mode = "auto")).loraPaths().getValue("a.safetensors")
            assertFalse(paths.contains("low-rank"), paths)
        }
    }
}
