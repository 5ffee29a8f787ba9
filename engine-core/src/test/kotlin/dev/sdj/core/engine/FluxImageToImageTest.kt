package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.ProgressListener
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.family.t5.T5TestVocabulary
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.awt.image.BufferedImage
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import javax.imageio.ImageIO

/**
 * Flux image-to-image end to end on the tiny random Flux model, on the CPU: the strength's two ends (1: text-to-image's
 * image exactly; 0: the VAE round trip of the init image but for one step at the smallest sigma) and the encoder's
 * tiles planned as they run; a decoder-only VAE refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxImageToImageTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux-img2img")
    private val config: EngineConfig = EngineConfig(TinyFluxModel().writeSplitFiles(dir.resolve("split")),
        Optional.of(ClipVocabulary.tinyGenerated(400).let { HuggingFaceClipFiles.write(dir.resolve("clip-tokenizer"), it.tokens, it.merges) }),
        Optional.empty()).withT5Tokenizer(T5TestVocabulary.file)

    /** A smooth picture, as photographs mostly are: the round trip of noise would say little. */
    private val init: Path = dir.resolve("init.png").also { path ->
        val image = BufferedImage(128, 96, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 96) for (x in 0 until 128) image.setRGB(x, y, (x * 2) shl 16 or ((y * 2) shl 8) or (255 - x - y / 2))
        ImageIO.write(image, "png", path.toFile())
    }

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(width: Int = 64, height: Int = 48) = GenerationRequest.builder("a lighthouse").size(width, height).steps(3).seed(5)
        .cfgScale(1.0).sampler("euler").device("CPU").threads(2)

    private val textToImage: GenerationResult by lazy { SdjEngine(config).use { it.generate(request().build()) } }

    @Test
    fun `at strength 1 the image is text-to-image's, byte for byte, though the encoder ran`() {
        val totals = LinkedHashMap<String, Int>()
        val fromImage = SdjEngine(config).use { engine ->
            engine.generate(request().initImage(init).strength(1.0).build(), ProgressListener { phase, _, total -> totals[phase] = total }, CancellationToken())
        }
        assertEquals(1, totals["image encoding"], "the encoder ran: $totals")
        assertEquals(3, totals["denoising"], "every step, from σ = 1")
        assertTrue(fromImage.parameters().contains("Denoising strength: 1.0"), fromImage.parameters())
        assertArrayEquals(textToImage.rgb(), fromImage.rgb())
    }

    /**
     * Strength 0 runs one Euler step from σ_min = e^1.15 / (e^1.15 + 999) ≈ 0.0032: the start (1 − σ)·latent + σ·n
     * and the step's −σ·v move the latent by about σ, so the image stays the round trip's up to that. Text-to-image
     * from the same seed is as far from it as an unrelated picture: a start that lost the image, or a latent mapped
     * with the wrong shift or scale, falls to its level.
     */
    @Test
    fun `at strength 0 the image is the VAE round trip of the init image`() {
        val asked = request().initImage(init).strength(0.0).build()
        val fromImage = SdjEngine(config).use { it.generate(asked) }
        val roundTrip = VaeRoundTrip.rgb(config, asked)
        val psnr = ImageDifference.psnrRgb(fromImage.rgb(), roundTrip)
        val unrelated = ImageDifference.psnrRgb(textToImage.rgb(), roundTrip)
        println("Flux strength 0 vs decode(encode(init)): PSNR $psnr dB; text-to-image vs it: $unrelated dB")
        assertTrue(psnr >= STRENGTH_0_PSNR, "strength 0 is $psnr dB from the round trip")
        assertTrue(unrelated < STRENGTH_0_PSNR - 10, "text-to-image is $unrelated dB from it: the measure must tell them apart")
    }

    /**
     * 128×96 in tiles of 64 pixels: the encoder's are ⌊8 × 1.30539⌋ = 10 latent cells, 2 × 2 of them over 16 × 12.
     * Weights copied, not mapped, so that the CPU pool holds what a device would; read when the last tile is done, less
     * the other components sequential placement keeps there, it holds the encoding phase's own memory: the VAE and the
     * encoder's compute buffer.
     */
    @Test
    fun `an encoder tiled with the decoder is planned as it runs and holds less than the whole`() {
        val whole = request(128, 96).initImage(init).placement("sequential").build()
        val tiled = whole.toBuilder().vaeTileSize(64).build()
        SdjEngine(config.withWeightMapping(false)).use { engine ->
            val wholeBuffer = engine.plan(whole).computeBytes().getValue("vae encoder")
            val tiles = ArrayList<Int>()
            var encodingBytes = 0L
            val result = engine.generate(tiled, ProgressListener { phase, done, total ->
                if (phase == "image encoding" && done == total) {
                    tiles.add(total)
                    encodingBytes = engine.poolBytes("CPU") - ComponentKind.entries.filter { it != ComponentKind.VAE }.sumOf { engine.residentBytes(it) ?: 0L }
                }
            }, CancellationToken())
            assertEquals(listOf(4), tiles, "four encoder tiles")
            val tileBuffer = engine.lastComputeBytes.getValue("vae encoder")
            assertEquals(result.placement().computeBytes().getValue("vae encoder"), tileBuffer, "planned = measured")
            assertTrue(tileBuffer < wholeBuffer, "a tile's buffer ($tileBuffer) against the whole image's ($wholeBuffer)")
            assertEquals(result.placement().peakByPhase().getValue("image encoding"), encodingBytes, "the encoding phase: planned = ledger")
            assertEquals(result.placement().peakBytes(), result.peakDeviceBytes().getValue("CPU"), "predicted = ledger peak")
        }
    }

    @Test
    fun `a VAE without its encoder is refused by name once a request brings an init image`() {
        val folder = dir.resolve("decoder-only")
        val model = TinyFluxModel()
        val files = model.writeSplitFiles(folder)
        val ae = folder.resolve("ae.safetensors")
        val writer = SafetensorsWriter()
        for (e in model.components.getValue(ComponentKind.VAE).filter { !it.name.startsWith("encoder.") }) {
            writer.addTensor(e.name, DType.F16, e.torchShape.reversed(), TensorData.of(model.bytes(ComponentKind.VAE, e)))
        }
        writer.write(ae)
        val decoderOnly = EngineConfig(files, config.tokenizer(), Optional.empty()).withT5Tokenizer(T5TestVocabulary.file)
        SdjEngine(decoderOnly).use { engine ->
            engine.plan(request().build())
            val e = assertThrows(UnsupportedModelException::class.java) { engine.plan(request().initImage(init).build()) }
            assertTrue(e.message!!.contains("the VAE in $ae has no encoder"), e.message)
        }
    }

    @Test
    fun `a mask is refused by name, since Flux does not inpaint`() {
        SdjEngine(config).use { engine ->
            val e = assertThrows(UnsupportedModelException::class.java) { engine.plan(request().initImage(init).mask(init).build()) }
            assertTrue(e.message!!.contains("cannot inpaint with a mask"), e.message)
        }
    }

    private companion object {
        /** A few dB under what these seeds give on x86-64 (47.1 dB; text-to-image 10.7 dB). */
        const val STRENGTH_0_PSNR = 40.0
    }
}
