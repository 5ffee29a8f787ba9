package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.Tools
import dev.sdj.core.family.ltx2.Ltx2DitDimensions
import dev.sdj.core.family.ltx2.TinyLtx2Dit
import dev.sdj.core.family.ltx2.TinyLtx2Text
import dev.sdj.core.family.ltx2.TinyLtx2Vae
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.jcodec.common.io.NIOUtils
import org.jcodec.containers.mp4.demuxer.MP4Demuxer
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import javax.imageio.ImageIO

/**
 * LTX-2.3 text-to-video end to end on a tiny random model set in the checkpoint's names (Gemma-3 GGUF, the connectors,
 * the DiT under `model.diffusion_model.`, the video VAE under `vae.`): four phases, three of them streamable, a clip
 * out — with nothing LTX-specific in the engine.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2GenerationTest {
    private val dir: Path = Files.createTempDirectory("sdj-ltx2-video")
    private val files: List<Path> = TinyLtx2Text().writeFiles(dir).all +
        listOf(TinyLtx2Dit(DIT).write(dir.resolve("ltx-2.3-tiny-dit.safetensors")), TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors")))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    /** Weights copied rather than mapped, so that the CPU's caps choose placements as a device's would. */
    private fun engine() = SdjEngine(EngineConfig(files, Optional.empty()).withWeightMapping(false))

    /** 9 frames of 64×64 (2 latent frames of 2×2 cells) in 2 steps, no guidance: Gemma over its 1024 tokens dominates. */
    private fun request(device: String, placement: String = "auto") =
        GenerationRequest.builder("a red fox runs through snow at dawn").size(64, 64).frames(9).fps(24).steps(2).cfgScale(1.0)
            .sampler("euler").device(device).threads(2).placement(placement).build()

    private fun frames(r: GenerationResult): List<ByteArray> = r.video().orElseThrow().frames()

    @Test
    fun `a 9-frame clip comes out with its size, rate and parameters, frames differing over time`() {
        engine().use { engine ->
            val r = engine.generate(request("CPU"))
            val video = r.video().orElseThrow()
            assertEquals(9, video.frameCount())
            assertEquals(64, video.width())
            assertEquals(64, video.height())
            assertEquals(24, video.frameRateNumerator())
            assertEquals(1, video.frameRateDenominator())
            assertEquals(64, r.width())
            assertTrue(r.parameters().contains("Frames: 9") && r.parameters().contains("FPS: 24"), r.parameters())
            assertFalse(video.frames()[0].contentEquals(video.frames()[8]), "the clip moves")
            assertTrue(video.frames().any { f -> f.any { it != f[0] } }, "frames are not flat")
        }
    }

    /** The clip written to every format through the API and read back with other code: frame count, size, rate. */
    @Test
    fun `the clip is written to MP4, AVI, animated WebP and PNG frames, and reads back`() {
        val r = engine().use { it.generate(request("CPU")) }
        val video = r.video().orElseThrow()
        val tools = Tools.get()
        val mp4 = dir.resolve("clip.mp4").also { tools.writeVideo(video, r.parameters(), it) }
        NIOUtils.readableChannel(mp4.toFile()).use { channel ->
            val track = MP4Demuxer.createMP4Demuxer(channel).videoTrack
            assertEquals(9, track.meta.totalFrames)
            assertEquals(9.0 / 24.0, track.meta.totalDuration, 1e-9)
            assertEquals(64, track.meta.videoCodecMeta.size.width)
        }
        val avi = Files.readAllBytes(dir.resolve("clip.avi").also { tools.writeVideo(video, r.parameters(), it) })
        val jpegs = (0 until avi.size - 2).count { avi[it] == 0xFF.toByte() && avi[it + 1] == 0xD8.toByte() && avi[it + 2] == 0xFF.toByte() }
        assertEquals(9, jpegs, "one JPEG per frame")
        val webp = dir.resolve("clip.webp").also { tools.writeVideo(video, r.parameters(), it) }
        ImageIO.createImageInputStream(webp.toFile()).use { input ->
            val reader = ImageIO.getImageReadersByFormatName("webp").next()
            reader.input = input
            assertEquals(9, reader.getNumImages(true))
            assertEquals(64, reader.read(8).width)
            reader.dispose()
        }
        tools.writeVideo(video, r.parameters(), dir.resolve("frame_%02d.png"))
        assertEquals(64, ImageIO.read(dir.resolve("frame_08.png").toFile()).height)
        assertFalse(Files.exists(dir.resolve("frame_09.png")))
    }

    @Test
    fun `the size is aligned up to 32 pixels and the frames down to 8k+1, as stable-diffusion·cpp does`() {
        engine().use { engine ->
            val r = engine.generate(request("CPU").toBuilder().size(48, 64).frames(12).build())
            val video = r.video().orElseThrow()
            assertEquals(64, video.width())
            assertEquals(9, video.frameCount())
        }
    }

    @Test
    fun `guidance with a negative prompt changes the clip, tiled decoding runs and changes pixels`() {
        engine().use { engine ->
            val plain = engine.generate(request("CPU"))
            val guided = engine.generate(request("CPU").toBuilder().cfgScale(3.0).negativePrompt("blurry").build())
            assertFalse(frames(plain)[4].contentEquals(frames(guided)[4]))
            val tiled = engine.generate(request("CPU").toBuilder().vaeTileSize(64).build())
            assertEquals(9, frames(tiled).size)
            assertTrue(tiled.placement().computeBytes().keys.any { it.startsWith("ltx2 video decoder") })
        }
    }

    @Test
    fun `prompts of different context lengths are refused with what to do`() {
        engine().use { engine ->
            val long = (1..1100).joinToString(" ") { "fox" }
            val e = assertThrows<InvalidRequestException> {
                engine.plan(GenerationRequest.builder(long).negativePrompt("blurry").cfgScale(3.0).size(64, 64).frames(9).build())
            }
            assertTrue(e.message!!.contains("one length"), e.message)
        }
    }

    /** On the CPU every phase is there: Gemma's over its 1024 tokens sets the peak, so the DiT streams nothing here. */
    @Test
    fun `on the CPU resident and sequential predict the ledger's peak and give the same frames`() {
        val (resident, sequential) = residentAndSequential("CPU")
        assertTrue(sequential.placement().peakBytes() < resident.placement().peakBytes(), "sequential holds less than resident")
    }

    /**
     * On Vulkan the text encoder and connectors run on the CPU, the DiT (eight blocks) sets the device's peak, and the
     * caps between streaming every block and sequential keep different numbers of them resident.
     */
    @Test
    fun `on Vulkan resident, sequential and streamed at several caps predict the ledger's peak and give the same frames`() {
        val device = "Vulkan0"
        val (resident, _) = residentAndSequential(device)
        StreamedCaps.assertStreamedCaps({ r -> engine().use { it.plan(r) } }, { r -> engine().use { it.generate(r) } }, onVulkan(request(device)),
            device, resident.png()) { r -> frames(r).zip(frames(resident)).forEachIndexed { i, (a, b) -> assertArrayEquals(b, a, "streamed frame $i") } }
    }

    private fun onVulkan(r: GenerationRequest) = r.toBuilder().cpuComponents(setOf("text_encoder", "text_connectors")).build()

    /** A fresh engine per placement: a second generation would reuse the first's conditioning and skip its peak. */
    private fun residentAndSequential(device: String): Pair<GenerationResult, GenerationResult> {
        fun placed(placement: String) = request(device, placement).let { if (device == "CPU") it else onVulkan(it) }
        val resident = engine().use { it.generate(placed("resident")) }
        assertEquals(resident.placement().peakBytes(), resident.peakDeviceBytes().getValue(device), "resident peak")
        val sequential = engine().use { it.generate(placed("sequential")) }
        assertEquals(sequential.placement().peakBytes(), sequential.peakDeviceBytes().getValue(device), "sequential peak")
        frames(sequential).zip(frames(resident)).forEachIndexed { i, (a, b) -> assertArrayEquals(b, a, "sequential frame $i") }
        return resident to sequential
    }

    private companion object {
        /** The tiny DiT with eight blocks and wide feed-forwards, so that on a device it outweighs the VAE's decoding. */
        val DIT = Ltx2DitDimensions.TINY.copy(blocks = 8, videoFeedForward = 2048, audioFeedForward = 1024)
    }
}
