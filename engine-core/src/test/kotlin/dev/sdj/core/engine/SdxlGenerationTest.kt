package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.scheduler.TuneCache
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
 * SDXL end to end on a tiny random model with the real structure: every layout gives the same image, and the
 * scheduler places it as it places SD 1.x — from the pipeline's four phases, with nothing SDXL-specific in it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlGenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-sdxl")
    /** Twice the tiny SDXL's UNet width, so that denoising, not decoding, sets the streamed peaks as at real sizes. */
    private val tiny = TinySdModel(TinySdModel.SDXL_TINY.copy(unet = TinySdModel.SDXL_TINY.unet.copy(modelChannels = 64)))
    private val vocabulary = ClipVocabulary.tinyGenerated(400)
    private val tokenizer = vocabulary.tokens to vocabulary.merges
    private val folder: Path = tiny.writeDiffusersFolder(dir.resolve("diffusers"), tokenizer)
    private val tokenizerDir: Path = folder.resolve("tokenizer")
    private val checkpoint: Path = tiny.writeSingleFile(dir.resolve("tiny-sdxl.safetensors"))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun config(paths: List<Path>, withTokenizer: Boolean = true) =
        EngineConfig(paths, if (withTokenizer) Optional.of(tokenizerDir) else Optional.empty(), Optional.empty())

    private fun request(device: String, placement: String = "auto") =
        GenerationRequest.builder("a (lighthouse:1.2) at dusk").negativePrompt("fog").size(64, 64).steps(2).seed(5)
            .device(device).threads(2).placement(placement).build()

    @Test
    fun `every layout of the same weights gives the same PNG bytes`() {
        val gguf = tiny.writeSingleFile(dir.resolve("tiny-sdxl.gguf"), tokenizer)
        val split = tiny.writeSplitFiles(dir.resolve("split"))
        val layouts = mapOf(
            "single file" to config(listOf(checkpoint)),
            "GGUF" to config(listOf(gguf), withTokenizer = false),
            "diffusers" to config(listOf(folder), withTokenizer = false),
            "split files" to config(split),
        )
        val images = layouts.mapValues { (_, c) -> SdjEngine(c).use { it.generate(request("CPU")) } }
        val reference = images.getValue("diffusers")
        assertEquals("Stable Diffusion XL", SdjEngine(config(listOf(checkpoint))).use { it.modelFamily() })
        // The PNGs' parameters text names the checkpoint (and its hash) when the model is one file; the pixels are the test.
        for ((layout, result) in images) assertArrayEquals(pixels(reference.png), pixels(result.png), "$layout vs diffusers")
        assertArrayEquals(reference.png, images.getValue("split files").png, "no single checkpoint: the same PNG bytes")
        assertFalse(reference.png.contentEquals(SdjEngine(config(listOf(folder))).use {
            it.generate(request("CPU").toBuilder().originalSize(1024, 1024).build()).png
        }), "the size conditioning reaches the UNet")
    }

    private fun pixels(png: ByteArray): IntArray {
        val image = ImageIO.read(ByteArrayInputStream(png))
        return image.getRGB(0, 0, image.width, image.height, null, 0, image.width)
    }

    @ParameterizedTest
    @ValueSource(strings = ["CPU", "Vulkan0"])
    fun `resident, sequential and streamed at several caps predict the ledger's peak and give the same image, a repeated prompt under sequential uploading nothing`(device: String) {
        val resident = SdjEngine(config(listOf(folder))).use { engine ->
            engine.generate(request(device, "resident")).also {
                assertEquals(it.placement().peakBytes(), it.peakDeviceBytes().getValue(device), "resident peak")
            }
        }
        SdjEngine(config(listOf(folder))).use { engine ->
            val sequential = engine.generate(request(device, "sequential"))
            assertEquals(sequential.placement().peakBytes(), sequential.peakDeviceBytes().getValue(device), "sequential peak")
            assertTrue(sequential.placement().peakBytes() < resident.placement().peakBytes(), "sequential holds less than resident")
            assertArrayEquals(resident.png, sequential.png, "sequential")
            val denoising = sequential.placement().phases().getValue("denoising")
            assertEquals("device", denoising.getValue("diffusion model"))
            assertEquals("device", sequential.placement().phases().getValue("text encoding (OpenCLIP bigG)").getValue("text encoder 2"))
            if (device == "Vulkan0") {
                // Same prompt, another seed: both encoders' results are reused and the sequential phases reload nothing.
                val again = engine.generate(request(device, "sequential").toBuilder().seed(6).build())
                assertTrue(sequential.uploadedParameterBytes() > 0)
                assertEquals(0, again.uploadedParameterBytes(), "same prompt, another seed: nothing reloads")
                assertEquals(0, again.placement().uploadBytesPerGeneration(), "and the plan said so")
            }
        }
        SdjEngine(config(listOf(folder))).use { engine ->
            assertEquals(19, engine.plan(request(device)).blocks(), "nine input blocks (the stem's among them), the middle block, nine output blocks")
            StreamedCaps.assertStreamedCaps(engine, request(device), device, resident.png)
        }
    }

    @Test
    fun `tune times every placement of the sdxl pipeline by its denoising phase`() {
        val cache = TuneCache(dir.resolve("tune.json"))
        // Guidance batching's both ways are TuneTest's; here one way keeps the lavapipe trials to three.
        val report = SdjEngine(config(listOf(folder)), cache).use {
            it.tune(request("Vulkan0").toBuilder().cfgBatch("off").build(), 1, ProgressListener.NONE)
        }
        assertEquals(listOf("resident", "sequential", "streamed"), report.trials().map { it.placement() })
        assertTrue(report.trials().all { it.secondsPerStep() > 0 }, report.trials().toString())
    }

    @Test
    fun `both text encoders can run on the cpu while the unet and vae use the device`() {
        SdjEngine(config(listOf(folder))).use { engine ->
            val pinned = request("Vulkan0", "resident").toBuilder().cpuComponents(setOf("text_encoders")).build()
            val r = engine.generate(pinned)
            val phases = r.placement().phases()
            assertEquals("cpu", phases.getValue("text encoding (CLIP-L)").getValue("text encoder"))
            assertEquals("cpu", phases.getValue("text encoding (OpenCLIP bigG)").getValue("text encoder 2"))
            assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue("Vulkan0"))
            assertEquals(setOf("diffusion model", "VAE"), r.placement().parameterBytes().keys)
        }
    }
}
