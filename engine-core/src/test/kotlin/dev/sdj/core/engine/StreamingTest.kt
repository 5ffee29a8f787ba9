package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.SdUnetBlocks
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path

/**
 * Streaming the UNet's blocks through device slots: the same image as resident, within the budget, uploading exactly
 * the streamed blocks once per model evaluation and never reading weights back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StreamingTest {
    /**
     * Weights copied, not mapped from the file, on the CPU too: mapped weights cost the CPU's budget nothing, which
     * would make sequential placement cheaper there than streaming and leave no caps to stream under.
     */
    private fun config() = EngineConfig.of(model).withWeightMapping(false)

    private val dir: Path = Files.createTempDirectory("sdj-streaming")
    /**
     * The default tiny model with a UNet four times larger, so that the denoising phase, not the VAE's, sets the
     * streamed plans' peaks and each count of resident blocks has its own budget.
     */
    private val model: Path = run {
        val vocab = ClipVocabulary.tinyGenerated(400)
        val base = TinySdModel.SD1_TINY
        val arch = base.copy(unet = base.unet.copy(modelChannels = 64), clip = base.clip.copy(vocabSize = vocab.size))
        TinySdModel(arch).writeSingleFile(dir.resolve("wide-unet.gguf"), vocab.tokens to vocab.merges)
    }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    /** Guidance in two evaluations per step, as these tests count uploads (batched guidance: [GuidanceBatchTest]). */
    private fun request(device: String, placement: String = "auto", cfg: Double = 7.0) =
        GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(64, 64).steps(2).seed(3).cfgScale(cfg)
            .device(device).threads(2).placement(placement).cfgBatch("off").build()

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `streamed plans give the resident image byte for byte within their budgets`(device: String) {
        val resident = SdjEngine(config()).use { it.generate(request(device, "resident")) }
        SdjEngine(config()).use { engine ->
            StreamedCaps.assertStreamedCaps(engine, request(device), device, resident.png)
            val smallest = engine.plan(request(device)).peakByPlacement().getValue("streamed")
            assertEquals(0, engine.plan(request(device).toBuilder().maxDeviceMemory(smallest).build()).residentBlocks(),
                "the smallest streamed peak keeps no block resident")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `each model evaluation uploads the streamed blocks once, from a host copy loaded once and given back when streaming stops, and weights are never read back`(device: String) {
        val unet = ModelAssembly.assemble(ModelOpener.open(listOf(model), null)).components.getValue(ComponentKind.DIFFUSION_MODEL)
        // Device bytes: the file's, except vectors (norms, biases), which the device keeps in f32.
        val blockBytes = unet.tensors.filterKeys { SdUnetBlocks.blockOf(it) != null }.values
            .sumOf { if (it.shape.size == 1) it.shape[0] * 4 else it.byteSize }
        SdjEngine(config()).use { engine ->
            val smallest = engine.plan(request(device)).peakByPlacement().getValue("streamed")
            val streamed = listOf(1.0 to 1, 7.0 to 2).map { (cfg, evaluations) ->
                val readBefore = Ggml.get().weightBytesRead()
                val r = engine.generate(request(device, cfg = cfg).toBuilder().maxDeviceMemory(smallest).build())
                assertEquals(0, r.placement().residentBlocks())
                assertEquals(2L * evaluations * blockBytes, engine.lastStreamedBytes, "2 steps × $evaluations evaluations × every block")
                assertEquals(evaluations * blockBytes, r.placement().uploadBytesPerStep(), "the plan's per-step figure")
                assertEquals(r.placement().uploadBytesPerGeneration(), r.uploadedParameterBytes(), "the plan's per-generation figure")
                assertEquals(readBefore, Ggml.get().weightBytesRead(), "no weight bytes came back from the device")
                assertTrue(r.uploadWaitMillis() in 0..r.millis(), "waiting for uploads is part of the time: ${r.uploadWaitMillis()} ms")
                r
            }
            if (device == "Vulkan0") {
                assertEquals(1, engine.hostMasterLoads, "the second generation reuses the pinned host copy")
                assertTrue(engine.poolBytes("Vulkan_Host") > 0, "the host copy lives in pinned host memory")
                val resident = engine.generate(request(device, "resident"))
                assertArrayEquals(resident.png, streamed.last().png, "the reused host copy streamed the resident image")
                assertEquals(0, engine.poolBytes("Vulkan_Host"), "resident needs no host copy")
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU"])
    fun `a cap below streaming every block is refused naming that smallest budget`(device: String) {
        SdjEngine(config()).use { engine ->
            val smallest = engine.plan(request(device)).peakByPlacement().getValue("streamed")
            val e = assertThrows(InvalidRequestException::class.java) {
                engine.generate(request(device).toBuilder().maxDeviceMemory(smallest - 1).build())
            }
            assertTrue(e.message!!.contains(dev.sdj.core.scheduler.Planner.mib(smallest)), e.message)
            val forced = assertThrows(InvalidRequestException::class.java) {
                engine.generate(request(device, "streamed").toBuilder().maxDeviceMemory(smallest - 1).build())
            }
            assertTrue(forced.message!!.contains("streamed"), forced.message)
        }
    }

    @org.junit.jupiter.api.Test
    fun `streaming every block keeps the text encoder beside them and loads the VAE after denoising`() {
        SdjEngine(config()).use { engine ->
            val smallest = engine.plan(request("Vulkan0")).peakByPlacement().getValue("streamed")
            val streamed = request("Vulkan0").toBuilder().maxDeviceMemory(smallest).build()
            val plan = engine.plan(streamed)
            assertEquals(mapOf("text encoder" to "device"), plan.phases().getValue("text encoding"))
            // What fits under the plan's peak beside a phase stays there (here the text encoder while denoising).
            assertEquals("streamed (0 of ${plan.blocks()} blocks resident)", plan.phases().getValue("denoising").getValue("diffusion model"))
            assertEquals("device", plan.phases().getValue("decoding").getValue("VAE"))
            assertFalse("VAE" in plan.phases().getValue("denoising"), "the VAE loads after denoising")
            assertEquals(plan.blocks(), plan.streamedBlocks().size)
            assertEquals("input_blocks.0", plan.streamedBlocks().first())
            assertEquals("output_blocks.11", plan.streamedBlocks().last())
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `a streamed generation cancelled mid-way frees its slots and the engine goes on`(device: String) {
        SdjEngine(config()).use { engine ->
            val smallest = engine.plan(request(device)).peakByPlacement().getValue("streamed")
            val streamed = request(device).toBuilder().maxDeviceMemory(smallest).build()
            val cancel = dev.sdj.api.CancellationToken()
            assertThrows(dev.sdj.api.GenerationCancelledException::class.java) {
                engine.generate(streamed, { phase, step, _ -> if (phase == "denoising" && step == 1) cancel.cancel() }, cancel)
            }
            assertEquals(0, engine.poolBytes(device), "no parameter or compute buffer is left on $device")
            val after = engine.generate(streamed)
            val fresh = SdjEngine(config()).use { it.generate(streamed) }
            assertArrayEquals(fresh.png, after.png)
        }
    }

    @org.junit.jupiter.api.Test
    fun `the streamed model's resident part stays between generations when it fits beside the other phases`() {
        SdjEngine(config()).use { engine ->
            // Text encoder and VAE on the CPU: nothing else competes with the resident part on the device.
            val pinned = request("Vulkan0").toBuilder().cpuComponents(setOf("text_encoder", "vae")).build()
            val smallest = engine.plan(pinned).peakByPlacement().getValue("streamed")
            val capped = pinned.toBuilder().maxDeviceMemory(smallest).build()
            val plan = engine.plan(capped)
            assertEquals("resident part (0 of ${plan.blocks()} blocks)", plan.phases().getValue("decoding").getValue("diffusion model"))
            assertTrue(plan.reason().contains("stays on the device between generations"), plan.reason())
            val first = engine.generate(capped)
            val second = engine.generate(GenerationRequest.builder("a harbour").negativePrompt("fog").size(64, 64).steps(2).seed(3)
                .device("Vulkan0").threads(2).cpuComponents(setOf("text_encoder", "vae")).maxDeviceMemory(smallest).build())
            // Onto the device the second generation uploads only the streamed blocks (the CPU reloads text encoder and VAE).
            assertEquals(engine.lastStreamedBytes, second.placement().uploadBytesPerGeneration(), "the plan's device figure")
            assertTrue(first.uploadedParameterBytes() > second.uploadedParameterBytes(), "the first loaded the resident part, the second did not")
            assertEquals(second.placement().peakBytes(), second.peakDeviceBytes().getValue("Vulkan0"), "the peak is still the plan's")
            engine.generate(request("Vulkan0", "resident"))
            assertEquals(engine.residentBytes(dev.sdj.core.model.ComponentKind.DIFFUSION_MODEL), 
                engine.poolBytes("Vulkan0") - engine.residentBytes(dev.sdj.core.model.ComponentKind.TEXT_ENCODER)!! -
                    engine.residentBytes(dev.sdj.core.model.ComponentKind.VAE)!!, "a resident plan leaves no streamed part behind")
        }
    }
}
