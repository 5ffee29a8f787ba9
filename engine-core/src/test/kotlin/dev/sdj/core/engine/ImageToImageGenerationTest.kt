package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.awt.image.BufferedImage
import java.nio.file.Files
import java.nio.file.Path
import javax.imageio.ImageIO

/** Image-to-image end to end on the tiny random SD model, on the CPU: the encoding phase, the cut schedule, refusals, the plan. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImageToImageGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-img2img")
    private val model: Path = DefaultModel.path(dir)
    /** 40×24, so reading resizes it to the request's 32×32. */
    private val init: Path = dir.resolve("init.png").also { path ->
        val image = BufferedImage(40, 24, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 24) for (x in 0 until 40) image.setRGB(x, y, (x * 6) shl 16 or ((y * 10) shl 8) or 200)
        ImageIO.write(image, "png", path.toFile())
    }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(placement: String = "resident") = GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(32, 32)
        .steps(4).seed(5).sampler("euler").device("CPU").threads(2).placement(placement)

    @Test
    fun `an init image is encoded in its own phase, the schedule is cut by strength and the parameters say so`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val totals = LinkedHashMap<String, Int>()
            val listener = ProgressListener { phase, _, total -> totals[phase] = total }
            val fromImage = engine.generate(request().initImage(init).strength(0.5).build(), listener, CancellationToken())
            assertEquals(1, totals["image encoding"], "the encoder ran: $totals")
            assertEquals(3, totals["denoising"], "⌊4 × 0.5⌋ + 1 steps")
            assertTrue(fromImage.parameters().contains("Denoising strength: 0.5"), fromImage.parameters())
            totals.clear()
            val fromNoise = engine.generate(request().build(), listener, CancellationToken())
            assertFalse("image encoding" in totals, "text-to-image skips the encoder: $totals")
            assertFalse(fromNoise.parameters().contains("Denoising strength"), fromNoise.parameters())
            assertFalse(fromNoise.rgb().contentEquals(fromImage.rgb()))
        }
    }

    @Test
    fun `a missing or unreadable init image is refused naming its path`() {
        val missing = dir.resolve("missing.png")
        val corrupt = dir.resolve("corrupt.png").also { Files.write(it, byteArrayOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte(), 1, 2, 3)) }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val none = assertThrows(InvalidRequestException::class.java) { engine.generate(request().initImage(missing).build()) }
            assertEquals("init image $missing: no such file", none.message)
            val bad = assertThrows(InvalidRequestException::class.java) { engine.generate(request().initImage(corrupt).build()) }
            assertTrue(bad.message!!.startsWith("init image $corrupt: "), bad.message)
        }
    }

    /** The encoder phase is planned like the others: sequential loads the VAE for it, frees it for the UNet, loads it again. */
    @Test
    fun `the plan with the encoder phase predicts the ledger's peak`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val asked = request("sequential").initImage(init).build()
            val plan = engine.plan(asked)
            assertTrue(plan.peakByPhase().getValue("image encoding") > 0, plan.peakByPhase().toString())
            val result = engine.generate(asked)
            assertEquals("sequential", result.placement().placement())
            assertEquals(plan.peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
            val textToImage = engine.plan(request("sequential").build())
            assertFalse("image encoding" in textToImage.peakByPhase() || "image encoding" in textToImage.phases(), "text-to-image plans no encoder")
        }
    }
}
