package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
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

/**
 * Inpainting end to end on the CPU with the tiny random SD 1.x model and the same model as an inpainting checkpoint
 * (9-channel UNet), 32×32. That kept latents stay is witnessed in latent space (InpaintingDenoiseTest); here the
 * request's path through the engine, the mask file and the refusals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InpaintingGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-inpaint")
    private val model: Path = DefaultModel.path(dir)
    private val inpaintingModel: Path = dir.resolve("tiny-inpainting.gguf").also { path ->
        val vocab = ClipVocabulary.tinyGenerated(400)
        val sd1 = TinySdModel.SD1_TINY_INPAINT
        TinySdModel(sd1.copy(clip = sd1.clip.copy(vocabSize = vocab.size))).writeSingleFile(path, vocab.tokens to vocab.merges)
    }

    private fun png(name: String, rgb: (Int, Int) -> Int): Path = dir.resolve(name).also { path ->
        val image = BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 32) for (x in 0 until 32) image.setRGB(x, y, rgb(x, y))
        ImageIO.write(image, "png", path.toFile())
    }

    private val init = png("init.png") { x, y -> (x * 8) shl 16 or ((y * 8) shl 8) or 120 }
    private val white = png("white.png") { _, _ -> 0xffffff }
    private val leftHalf = png("left.png") { x, _ -> if (x < 16) 0xffffff else 0 }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request() = GenerationRequest.builder("a lighthouse").negativePrompt("fog").size(32, 32)
        .steps(2).seed(5).sampler("euler").device("CPU").threads(2).initImage(init)

    /**
     * No pixel bound: at 32×32 (a 4×4 latent) the random decoder mixes every latent value into every pixel — the kept
     * half differed from strength-0 image-to-image by a mean |Δ| of 54.8 (of 0–255), the repainted half by 55.3 — so
     * what is kept is witnessed in latent space (InpaintingDenoiseTest). Here: a mask of ones changes nothing.
     */
    @Test
    fun `with a regular checkpoint an all-white mask is image-to-image byte for byte and a half mask is not`() {
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val img2img = engine.generate(request().build())
            assertArrayEquals(img2img.rgb(), engine.generate(request().mask(white).build()).rgb(), "a mask of ones blends nothing away")
            val half = engine.generate(request().mask(leftHalf).build())
            assertFalse(half.rgb().contentEquals(img2img.rgb()))
            assertTrue(half.parameters().contains("Denoising strength: 0.75"), half.parameters())
        }
    }

    @Test
    fun `a missing or unreadable mask is refused naming its path`() {
        val missing = dir.resolve("no-mask.png")
        val corrupt = dir.resolve("corrupt-mask.png").also { Files.write(it, byteArrayOf(0x89.toByte(), 'P'.code.toByte(), 'N'.code.toByte(), 'G'.code.toByte(), 7)) }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            assertEquals("mask $missing: no such file",
                assertThrows(InvalidRequestException::class.java) { engine.generate(request().mask(missing).build()) }.message)
            val bad = assertThrows(InvalidRequestException::class.java) { engine.generate(request().mask(corrupt).build()) }
            assertTrue(bad.message!!.startsWith("mask $corrupt: "), bad.message)
        }
    }

    /** The encoder runs for the init image and the masked image in one phase, planned like the others (sequential: plan = ledger). */
    @Test
    fun `an inpainting checkpoint is recognised from its weights and inpaints, starts from noise (streamed), and its plan predicts the ledger`() {
        SdjEngine(EngineConfig.of(inpaintingModel)).use { engine ->
            val asked = request().mask(leftHalf).placement("sequential").build()
            val plan = engine.plan(asked)
            val phases = ArrayList<String>()
            val inpainted = engine.generate(asked, ProgressListener { phase, done, _ -> if (done == 0) phases.add(phase) }, CancellationToken())
            assertTrue("image encoding" in phases, phases.toString())
            assertEquals(plan.peakBytes(), inpainted.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
            // from noise, its UNet streamed block by block: the 9-channel input passes the block split
            val fromNoise = engine.generate(GenerationRequest.builder("a lighthouse").size(32, 32).steps(2).seed(5).device("CPU").threads(2)
                .placement("streamed").build())
            assertEquals("streamed", fromNoise.placement().placement())
            assertEquals(32 * 32 * 3, fromNoise.rgb().size)
        }
    }
}
