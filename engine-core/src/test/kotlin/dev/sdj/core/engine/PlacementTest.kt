package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.model.ComponentKind
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

/** Placements change where parameters live, never the image; the ledger is the witness of what they cost. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlacementTest {
    private val dir: Path = Files.createTempDirectory("sdj-placement")
    private val model: Path = DefaultModel.path(dir)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(device: String, placement: String) =
        GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(64, 64).steps(2).seed(3)
            .device(device).threads(2).placement(placement).build()

    /**
     * One resident and one sequential generation witness both: the same PNG bytes, and each placement's peak as the
     * parameter and compute bytes it keeps together predict it.
     */
    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `resident and sequential placements give byte-identical images at the peaks they predict, as the ledger reports`(device: String) {
        val (resident, params, largestCompute) = SdjEngine(EngineConfig.of(model)).use { engine ->
            val result = engine.generate(request(device, "resident"))
            Triple(result, ComponentKind.entries.mapNotNull { k -> engine.residentBytes(k)?.let { k to it } }.toMap(),
                engine.lastComputeBytes.values.max())
        }
        val te = params.getValue(ComponentKind.TEXT_ENCODER)
        val unetVae = params.getValue(ComponentKind.DIFFUSION_MODEL) + params.getValue(ComponentKind.VAE)
        assertEquals(te + unetVae + largestCompute, resident.peakDeviceBytes().getValue(device), "resident peak")

        SdjEngine(EngineConfig.of(model)).use { engine ->
            val result = engine.generate(request(device, "sequential"))
            val c = engine.lastComputeBytes
            val expected = maxOf(te + c.getValue("text encoder"), unetVae + maxOf(c.getValue("unet"), c.getValue("vae decoder")))
            assertEquals(expected, result.peakDeviceBytes().getValue(device), "sequential peak")
            assertTrue(expected < te + unetVae + c.values.max(), "sequential must beat resident on this model")
            assertArrayEquals(resident.png, result.png, "sequential gives the resident image")
        }
    }

    /** Sequential: the text encoder alone while it runs, then the UNet and the VAE, each phase with its own buffer. */
    @Test
    fun `plan gives each phase's peak, the largest of them the placement's`() {
        SdjEngine(EngineConfig.of(model).withWeightMapping(false)).use { engine ->
            val plan = engine.plan(request("CPU", "sequential"))
            val params = plan.parameterBytes()
            val c = plan.computeBytes()
            val unetVae = params.getValue("diffusion model") + params.getValue("VAE")
            assertEquals(plan.phases().keys, plan.peakByPhase().keys)
            assertEquals(params.getValue("text encoder") + c.getValue("text encoder"), plan.peakByPhase().getValue("text encoding"))
            assertEquals(unetVae + c.getValue("unet"), plan.peakByPhase().getValue("denoising"))
            assertEquals(unetVae + c.getValue("vae decoder"), plan.peakByPhase().getValue("decoding"))
            assertEquals(plan.peakBytes(), plan.peakByPhase().values.max())
        }
    }

    /**
     * At 256×256 the tiny UNet's self-attention over 32×32 latent pixels has an 8 × 1024 × 1024 f32 score matrix
     * (32 MiB), the largest tensor of its graph; flash attention on the CPU never stores it (lavapipe's flash
     * attention does not take that layer's 4-channel heads, so it keeps the naive path there). Whichever path runs,
     * the plan measures that path. Lavapipe asserts only that, which 128×128 shows as well at a quarter of the work
     * (its heads, and so its paths, are the same at any size).
     */
    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `with diffusion flash attention the plan predicts the ledger's peak and on the cpu the unet buffer shrinks`(device: String) {
        val size = if (device == "CPU") 256 else 128
        fun flash(on: Boolean) = GenerationRequest.builder("a lighthouse").size(size, size).steps(1).cfgScale(1.0).seed(3)
            .device(device).threads(2).placement("resident").diffusionFlashAttention(on).build()
        val naiveUnet = SdjEngine(EngineConfig.of(model)).use { it.plan(flash(false)).computeBytes().getValue("unet") }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val plan = engine.plan(flash(true))
            val result = engine.generate(flash(true))
            assertEquals(plan.peakBytes(), result.peakDeviceBytes().getValue(device), "predicted peak")
            val unet = engine.lastComputeBytes.getValue("unet")
            assertEquals(plan.computeBytes().getValue("unet"), unet, "predicted UNet compute buffer")
            if (device == "CPU") assertTrue(unet < naiveUnet - (16 shl 20), "flash: $unet bytes, naive: $naiveUnet")
        }
    }

    /**
     * The VAE decoder's largest nodes through im2col are its full-resolution patches; the direct convolution stores
     * none, and the plan measures whichever path runs.
     */
    @Test
    fun `with direct vae convolution the plan predicts the ledger and the decoder buffer shrinks`() {
        fun request(direct: Boolean) = GenerationRequest.builder("a lighthouse").size(128, 128).steps(1).cfgScale(1.0).seed(3)
            .device("CPU").threads(2).placement("resident").vaeConvDirect(direct).build()
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val im2colDecoder = engine.plan(request(false)).computeBytes().getValue("vae decoder")
            val plan = engine.plan(request(true))
            val result = engine.generate(request(true))
            assertEquals(plan.peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted peak")
            val decoder = engine.lastComputeBytes.getValue("vae decoder")
            assertEquals(plan.computeBytes().getValue("vae decoder"), decoder, "predicted decoder compute buffer")
            assertTrue(decoder < im2colDecoder - (8 shl 20), "direct: $decoder bytes, im2col: $im2colDecoder")
        }
    }

    /**
     * Unasked, the VAE takes im2col under every budget, so the image never depends on it (direct changes pixels by
     * rounding, 95 dB at this size on the CPU): a cap only direct's smaller decoder buffer fits is refused naming
     * `--vae-conv-direct`, and asked for, direct fits it. The plan's decoder buffer is the ledger's either way.
     */
    @Test
    fun `unasked the vae takes im2col under any budget and plan names direct where its smaller buffer would fit faster`() {
        fun request(direct: Boolean? = null, cap: Long? = null) = GenerationRequest.builder("a lighthouse").size(128, 128).steps(1)
            .cfgScale(1.0).seed(3).device("CPU").threads(2)
            .apply { direct?.let { vaeConvDirect(it) }; cap?.let { maxDeviceMemory(it) } }.build()
        SdjEngine(EngineConfig.of(model)).use { engine ->
            fun generated(request: GenerationRequest) = engine.generate(request).also { result ->
                assertEquals(result.placement().computeBytes().getValue("vae decoder"), engine.lastComputeBytes.getValue("vae decoder"),
                    "planned and run decoder buffer")
            }
            val im2colResident = engine.plan(request(direct = false)).peakByPlacement().getValue("resident")
            val directResident = engine.plan(request(direct = true)).peakByPlacement().getValue("resident")
            assertTrue(directResident < im2colResident, "the decoder sets the resident peak: direct $directResident, im2col $im2colResident")

            val roomy = generated(request())
            assertEquals("resident" to "im2col", roomy.placement().placement() to roomy.placement().vaeConvolution())
            val why = roomy.placement().vaeConvolutionReason()
            assertTrue(why.startsWith("the default") && why.contains("--vae-conv-direct would cut"), why)

            // Weights read in place from the file leave compute buffers alone in the peaks: im2col's decoder fits no placement.
            val refused = assertThrows(InvalidRequestException::class.java) { engine.plan(request(cap = directResident)) }
            assertTrue(refused.message!!.contains("--vae-conv-direct") && refused.message!!.contains("let resident fit"), refused.message)

            val asked = generated(request(direct = true, cap = directResident)).placement()
            assertEquals("resident" to "direct", asked.placement() to asked.vaeConvolution())
            assertEquals("as the request asks (--vae-conv-direct)", asked.vaeConvolutionReason())
        }
    }

    /**
     * With the VAE decoding 64-pixel tiles, the UNet's naive attention sets the tiny model's peaks at 256×256: a cap
     * that only its smallest placement fits, or that nothing fits, is one flash attention would fit resident.
     */
    @Test
    fun `plan names flash attention when it would let a faster placement fit the cap`() {
        fun request(flash: Boolean, cap: Long? = null) = GenerationRequest.builder("a lighthouse").size(256, 256).steps(1)
            .device("CPU").threads(2).vaeTileSize(64).diffusionFlashAttention(flash).apply { cap?.let { maxDeviceMemory(it) } }.build()
        // Weights copied: read in place from the file they leave the allocated peak, and every placement's peak is then
        // set by compute buffers alone, which is not the budget this test steers by.
        SdjEngine(EngineConfig.of(model).withWeightMapping(false)).use { engine ->
            val withFlash = engine.plan(request(true)).peakByPlacement().getValue("resident")
            val naive = engine.plan(request(false)).peakByPlacement().getValue("resident")
            assertTrue(withFlash < naive, "the naive score matrix sets the resident peak: flash $withFlash, naive $naive")
            val naiveSmallest = engine.plan(request(false)).peakByPlacement().getValue("streamed")
            assertTrue(withFlash <= naiveSmallest, "flash resident $withFlash, naive every block streamed $naiveSmallest")
            val capped = engine.plan(request(false, naiveSmallest))
            assertEquals("streamed", capped.placement())
            assertTrue(capped.reason().contains("--diffusion-fa") && capped.reason().contains("let resident fit"), capped.reason())
            val refused = assertThrows(InvalidRequestException::class.java) { engine.plan(request(false, withFlash)) }
            assertTrue(refused.message!!.contains("--diffusion-fa"), refused.message)
            assertFalse(engine.plan(request(false)).reason().contains("--diffusion-fa"), "resident already fits: nothing to say")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `repeated resident generations upload nothing after the first`(device: String) {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val first = engine.generate(request(device, "resident"))
            val total = ComponentKind.entries.mapNotNull { engine.residentBytes(it) }.sum()
            assertTrue(first.uploadedParameterBytes() > 0 && first.uploadedParameterBytes() <= total)
            repeat(2) { assertEquals(0, engine.generate(request(device, "resident")).uploadedParameterBytes(), "generation ${it + 2}") }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `auto placement follows the budget and predicts the peak the ledger then reports`(device: String) {
        val costs = SdjEngine(EngineConfig.of(model)).use { it.plan(request(device, "auto")) }
        val resident = costs.peakByPlacement().getValue("resident")
        val sequential = costs.peakByPlacement().getValue("sequential")
        assertEquals("resident", costs.placement(), "a tiny model fits any real budget")
        assertTrue(sequential < resident)
        for ((cap, expected) in listOf(resident to "resident", sequential to "sequential")) {
            SdjEngine(EngineConfig.of(model)).use { engine ->
                val r = engine.generate(GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(64, 64).steps(2).seed(3)
                    .device(device).threads(2).maxDeviceMemory(cap).build())
                assertEquals(expected, r.placement().placement())
                assertEquals("requested cap", r.placement().budgetSource())
                assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue(device), "predicted = ledger peak for $expected")
                assertTrue(r.peakDeviceBytes().getValue(device) <= cap)
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `a budget below every placement is refused before anything loads, naming the smallest that works`(device: String) {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val smallest = engine.plan(request(device, "auto")).peakByPlacement().values.min()
            val e = org.junit.jupiter.api.Assertions.assertThrows(dev.sdj.api.InvalidRequestException::class.java) {
                engine.generate(GenerationRequest.builder("x").size(64, 64).steps(1).device(device).maxDeviceMemory(smallest - 1).build())
            }
            assertTrue(e.message!!.contains(dev.sdj.core.scheduler.Planner.mib(smallest)), e.message)
            assertEquals(null, engine.residentBytes(ComponentKind.TEXT_ENCODER), "nothing was loaded")
        }
    }

    @org.junit.jupiter.api.Test
    fun `text encoder and VAE pinned to the CPU leave only the UNet on the device`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val pinned = GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(64, 64).steps(2).seed(3)
                .device("Vulkan0").threads(2).cpuComponents(setOf("text_encoder", "vae")).build()
            val r = engine.generate(pinned)
            val unet = engine.residentBytes(ComponentKind.DIFFUSION_MODEL)!!
            assertEquals(unet + engine.lastComputeBytes.getValue("unet"), r.peakDeviceBytes().getValue("Vulkan0"), "only the UNet on Vulkan")
            assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue("Vulkan0"), "predicted")
            assertTrue(r.peakDeviceBytes().getValue("CPU") >= engine.residentBytes(ComponentKind.TEXT_ENCODER)!! + engine.residentBytes(ComponentKind.VAE)!!)
            val allCpu = engine.generate(pinned.toBuilder().device("CPU").cpuComponents(setOf()).build())
            assertTrue(ImageDifference.psnr(r.png, allCpu.png) > 30, "the same image up to Vulkan's rounding")
            val again = engine.generate(pinned).uploadedParameterBytes()
            assertTrue(again in 1..unet, "back on Vulkan only the UNet moves ($again bytes; its buffer is $unet)")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU"])
    fun `sequential generations reload for a new prompt only what did not fit beside the models`(device: String) {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val first = engine.generate(request(device, "sequential")).uploadedParameterBytes()
            val next = GenerationRequest.builder("a harbour").negativePrompt("fog").size(64, 64).steps(2).seed(3)
                .device(device).threads(2).placement("sequential").build()
            val forecast = engine.plan(next).uploadBytesPerGeneration()
            val second = engine.generate(next).uploadedParameterBytes()
            assertEquals(forecast, second, "the plan foresaw what the second generation uploads")
            // The UNet and VAE fit beside the text encoder's phase and stay; the text encoder, freed for them, comes back.
            assertTrue(second in 1 until first, "first $first, second $second")
            assertTrue(engine.residentBytes(ComponentKind.TEXT_ENCODER) == null, "the text encoder left after its phase")
        }
    }

    @Test
    fun `a batch's plan foresees what its images upload, the prompt encoded once`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            engine.generate(request("CPU", "sequential"))
            val batch = GenerationRequest.builder("a harbour").negativePrompt("fog").size(64, 64).steps(2).seed(3)
                .device("CPU").threads(2).placement("sequential").batchCount(3).build()
            val plan = engine.plan(batch)
            var uploaded = 0L
            engine.generateBatch(batch, ProgressListener.NONE, CancellationToken()) { _, r -> uploaded += r.uploadedParameterBytes() }
            assertEquals(plan.uploadBytesPerBatch(), uploaded, "the plan foresaw what the batch uploads")
            // The first image brings the text encoder back for the new prompt; the later ones do not run it.
            assertTrue(uploaded < 3 * plan.uploadBytesPerGeneration(), "batch $uploaded, per generation ${plan.uploadBytesPerGeneration()}")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `a repeated prompt skips the text encoder, so sequential keeps the diffusion model and uploads nothing`(device: String) {
        val seed9 = request(device, "sequential").toBuilder().seed(9).build()
        val fresh = SdjEngine(EngineConfig.of(model)).use { it.generate(seed9) }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            engine.generate(request(device, "sequential"))
            val again = engine.generate(seed9)
            assertEquals(0, again.uploadedParameterBytes(), "same prompt, another seed: nothing reloads")
            assertArrayEquals(fresh.png, again.png, "the remembered conditioning is the one the encoder gives")
            assertTrue(again.peakDeviceBytes().getValue(device) <= again.placement().peakBytes(), "still within the plan")
            assertTrue(engine.generate(seed9.toBuilder().negativePrompt("rain").build()).uploadedParameterBytes() > 0,
                "another negative prompt needs the text encoder again")
        }
    }
}
