package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.file.Files
import java.nio.file.Path

/**
 * Guidance batched (prompt and negative prompt as one UNet evaluation of a batch of two) on the tiny SD model, on the
 * CPU: within the choice every placement gives the same image byte for byte, as without it; the batched image is the
 * unbatched one within [BATCH_PSNR]; streaming uploads each streamed block once per step instead of twice.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuidanceBatchTest {
    private val dir: Path = Files.createTempDirectory("sdj-cfg-batch")
    private val model: Path = DefaultModel.path(dir)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(batch: String, placement: String = "auto", cap: Long? = null, size: Int = 64): GenerationRequest =
        GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(size, size).steps(STEPS).seed(3).device("CPU").threads(2)
            .placement(placement).cfgBatch(batch).apply { cap?.let { maxDeviceMemory(it) } }
            .apply { if (size > 64) vaeTileSize(64) }.build()

    /** A fresh engine each, so that every run loads what it uploads and the ledger sees each placement's own peak. */
    private fun generate(request: GenerationRequest): GenerationResult = SdjEngine(EngineConfig.of(model)).use { it.generate(request) }

    @Test
    fun `batched guidance gives one image in every placement, near the unbatched one, uploading what the plan predicts`() {
        val resident = generate(request("on", "resident"))
        val sequential = generate(request("on", "sequential"))
        assertArrayEquals(resident.png, sequential.png, "batched: sequential gives the resident image")
        val smallest = SdjEngine(EngineConfig.of(model)).use { it.plan(request("on")).peakByPlacement().getValue("streamed") }
        val streamed = generate(request("on", "streamed", smallest))
        assertTrue(streamed.placement().residentBlocks() < streamed.placement().blocks(), "streams some block")
        assertArrayEquals(resident.png, streamed.png, "batched: streamed gives the resident image")
        for (r in listOf(resident, sequential, streamed)) {
            assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue("CPU"), "${r.placement().placement()}: predicted = ledger peak")
            assertEquals(r.placement().uploadBytesPerGeneration(), r.uploadedParameterBytes(), "${r.placement().placement()}: predicted uploads")
        }
        val single = generate(request("off", "resident"))
        val psnr = ImageDifference.psnr(resident.png, single.png)
        println("batched vs unbatched guidance on the CPU: PSNR %.1f dB".format(psnr))
        assertTrue(psnr >= BATCH_PSNR, "PSNR $psnr dB")
    }

    /**
     * At 256×256 (decoding 64-pixel tiles) the UNet's compute buffer sets the tiny model's peaks, so batching moves
     * them. Untuned, auto evaluates twice under every placement and cap (batching changes pixels by rounding, so the
     * placement must not choose it); `on` under a cap only the unbatched buffer fits is refused; streaming every
     * block, batching halves the bytes uploaded per step.
     */
    @Test
    fun `auto evaluates twice under every placement, and batching halves streamed uploads`() {
        SdjEngine(EngineConfig.of(model).withWeightMapping(false)).use { engine ->
            fun plan(batch: String, placement: String = "auto", cap: Long? = null) = engine.plan(request(batch, placement, cap, 256))
            val free = plan("auto")
            assertEquals("resident", free.placement())
            assertEquals(plan("off").computeBytes(), free.computeBytes())
            val single = plan("off")
            val batched = plan("on")
            assertTrue(batched.computeBytes().getValue("unet") > single.computeBytes().getValue("unet"), "the batch of two needs the larger buffer")
            val cap = single.peakByPlacement().getValue("resident")
            assertTrue(batched.peakByPlacement().getValue("resident") > cap, "the UNet sets the resident peak")
            val capped = plan("auto", cap = cap)
            assertEquals("resident", capped.placement())
            assertEquals(plan("off", cap = cap).computeBytes(), capped.computeBytes())
            assertThrows(InvalidRequestException::class.java) { plan("on", "resident", cap) }

            val streamedOn = plan("on", "streamed", batched.peakByPlacement().getValue("streamed"))
            val streamedOff = plan("off", "streamed", single.peakByPlacement().getValue("streamed"))
            assertEquals(0, streamedOn.residentBlocks())
            assertEquals(0, streamedOff.residentBlocks())
            assertEquals(streamedOff.uploadBytesPerStep(), 2 * streamedOn.uploadBytesPerStep())
            val streamedAuto = plan("auto", "streamed", single.peakByPlacement().getValue("streamed"))
            assertEquals(streamedOff.uploadBytesPerStep(), streamedAuto.uploadBytesPerStep())
            assertEquals(streamedOff.computeBytes(), streamedAuto.computeBytes())
        }
    }

    private companion object {
        const val STEPS = 2

        /** Batched against unbatched images on the tiny model: ggml may pick other kernels for a batch of two. */
        const val BATCH_PSNR = 45.0
    }
}
