package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.clip.HuggingFaceClipFiles
import dev.sdj.core.family.flux.FluxArchitecture
import dev.sdj.core.family.flux.TinyFluxModel
import dev.sdj.core.family.t5.T5TestVocabulary
import dev.sdj.core.model.DType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.io.ByteArrayInputStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import javax.imageio.ImageIO

/**
 * Flux end to end on tiny random models with the real structure: every layout of the same weights (the diffusers
 * folder's split and renamed DiT included) gives the same image, dev and schnell both generate, and the scheduler places the four phases as it places SD's — with nothing
 * Flux-specific in it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux")
    private val dev = TinyFluxModel()
    private val split: List<Path> = dev.writeSplitFiles(dir.resolve("split"))
    private val clipTokenizer: Path = writeClipTokenizer(dir.resolve("clip-tokenizer"))
    private val t5Tokenizer: Path = T5TestVocabulary.file

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun writeClipTokenizer(folder: Path): Path {
        val vocab = ClipVocabulary.tinyGenerated(400)
        return HuggingFaceClipFiles.write(folder, vocab.tokens, vocab.merges)
    }

    @Test
    fun `the diffusers folder gives the separate files' image, with the tokenizers found inside it`() {
        val vocab = ClipVocabulary.tinyGenerated(400)
        val folder = dev.writeDiffusersFolder(dir.resolve("FLUX.1-tiny"), vocab.tokens to vocab.merges, t5Tokenizer)
        val fromFolder = SdjEngine(EngineConfig(listOf(folder), Optional.empty(), Optional.empty())).use { it.generate(request("CPU")) }
        val fromSplit = SdjEngine(config(split)).use { it.generate(request("CPU")) }
        assertArrayEquals(pixels(fromSplit.png), pixels(fromFolder.png))
    }

    private fun config(paths: List<Path>) = EngineConfig(paths, Optional.of(clipTokenizer), Optional.empty()).withT5Tokenizer(t5Tokenizer)

    /**
     * Weights copied on the CPU as on a GPU: read in place from the file they would leave the allocated peaks, which
     * are what the placements and caps of the streaming test are compared by.
     */
    private fun copied(paths: List<Path>) = config(paths).withWeightMapping(false)

    private fun request(device: String, placement: String = "auto") =
        GenerationRequest.builder("a lighthouse at (dusk:1.2)").size(64, 48).steps(2).seed(5).cfgScale(1.0).sampler("euler")
            .device(device).threads(2).placement(placement).build()

    private fun pixels(png: ByteArray): IntArray {
        val image = ImageIO.read(ByteArrayInputStream(png))
        return image.getRGB(0, 0, image.width, image.height, null, 0, image.width)
    }

    @Test
    fun `the all-in-one checkpoint and the separate files give the same image, dev and schnell differ`() {
        val single = dev.writeSingleFile(dir.resolve("flux1-tiny-all.safetensors"))
        val fromSplit = SdjEngine(config(split)).use { it.generate(request("CPU")) }
        val fromSingle = SdjEngine(config(listOf(single))).use { it.generate(request("CPU")) }
        assertEquals("Flux.1-class DiT", SdjEngine(config(split)).use { it.modelFamily() })
        // The PNGs' parameters text names the checkpoint (and its hash) when the model is one file; the pixels are the test.
        assertArrayEquals(pixels(fromSplit.png), pixels(fromSingle.png))
        val schnell = TinyFluxModel(FluxArchitecture.SCHNELL_TINY).writeSplitFiles(dir.resolve("schnell"))
        val fromSchnell = SdjEngine(config(schnell)).use { it.generate(request("CPU")) }
        assertFalse(fromSchnell.png.contentEquals(fromSplit.png), "schnell has no guidance input and another shift")
        assertTrue(fromSplit.parameters().contains("Distilled CFG Scale: 3.5"), fromSplit.parameters())
        assertFalse(fromSchnell.parameters().contains("Distilled CFG Scale"), fromSchnell.parameters())
    }

    @Test
    fun `quantized GGUF DiTs generate, q8_0 close to the f16 image`() {
        val reference = SdjEngine(config(split)).use { it.generate(request("CPU")) }
        for ((type, minPsnr) in listOf(DType.Q8_0 to 30.0, DType.Q4_K to 15.0)) {
            val files = TinyFluxModel.quantizedDit(type).writeSplitFiles(dir.resolve(type.name), ditFile = "flux1-tiny-$type.gguf")
            val image = SdjEngine(config(files)).use { it.generate(request("CPU")) }
            val psnr = ImageDifference.psnr(reference.png, image.png)
            assertTrue(psnr >= minPsnr, "$type: PSNR $psnr dB against the f16 DiT")
        }
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `resident, sequential and streamed at several caps predict the ledger's peak and give the same image`(device: String) {
        val resident = SdjEngine(copied(split)).use { engine ->
            engine.generate(request(device, "resident")).also {
                assertEquals(it.placement().peakBytes(), it.peakDeviceBytes().getValue(device), "resident peak")
            }
        }
        SdjEngine(copied(split)).use { engine ->
            val sequential = engine.generate(request(device, "sequential"))
            assertEquals(sequential.placement().peakBytes(), sequential.peakDeviceBytes().getValue(device), "sequential peak")
            assertTrue(sequential.placement().peakBytes() < resident.placement().peakBytes(), "sequential holds less than resident")
            assertArrayEquals(resident.png, sequential.png, "sequential")
            val phases = sequential.placement().phases()
            // T5 and the DiT never share the device; the small CLIP-L may stay where it fits under the peak (fit-aware keeping).
            assertFalse("diffusion model" in phases.getValue("text encoding (T5-XXL)"), "T5 without the DiT: $phases")
            assertFalse("text encoder 2" in phases.getValue("denoising"), "the DiT without T5: $phases")
            assertEquals("device", phases.getValue("denoising").getValue("VAE"), "the VAE loads with the DiT: $phases")
            val params = sequential.placement().parameterBytes()
            val compute = sequential.placement().computeBytes()
            val t5Phase = params.getValue("text encoder 2") + compute.getValue("text encoder 2")
            val ditPhases = params.getValue("diffusion model") + params.getValue("VAE") + maxOf(compute.getValue("flux dit"), compute.getValue("vae decoder"))
            val peak = sequential.placement().peakBytes()
            // max(T5, DiT + VAE), not their sum; the small CLIP-L may be kept on top where it fits under that peak
            assertTrue(peak >= maxOf(t5Phase, ditPhases) && peak <= maxOf(t5Phase, ditPhases) + params.getValue("text encoder"),
                "peak $peak for T5's phase $t5Phase and the DiT's $ditPhases: $params $compute")
        }
        SdjEngine(copied(split)).use { engine ->
            assertEquals(4, engine.plan(request(device)).blocks(), "two double and two single blocks")
            StreamedCaps.assertStreamedCaps(engine, request(device), device, resident.png)
        }
    }
}
