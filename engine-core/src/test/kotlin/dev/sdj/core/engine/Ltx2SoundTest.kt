package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.Tools
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.ltx2.TinyLtx2AudioVae
import dev.sdj.core.family.ltx2.TinyLtx2Dit
import dev.sdj.core.family.ltx2.TinyLtx2Text
import dev.sdj.core.family.ltx2.TinyLtx2Vae
import dev.sdj.core.family.ltx2.TinyLtx2Vocoder
import org.jcodec.common.io.NIOUtils
import org.jcodec.containers.mp4.demuxer.MP4Demuxer
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional

/**
 * LTX-2.3 with its audio VAE and vocoder: the clip comes with its sound, through the engine's phases and placements
 * like any other component, and the sound goes into the video file.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2SoundTest {
    private val dir: Path = Files.createTempDirectory("sdj-ltx2-sound")
    private val video: List<Path> = TinyLtx2Text().writeFiles(dir).all +
        listOf(TinyLtx2Dit().write(dir.resolve("ltx-2.3-tiny-dit.safetensors")), TinyLtx2Vae().write(dir.resolve("ltx-2.3-tiny-vae.safetensors")))
    private val audioVae: Path = TinyLtx2AudioVae().write(dir.resolve("ltx-2.3-tiny-audio-vae.safetensors"))
    private val vocoder: Path = TinyLtx2Vocoder().write(dir.resolve("ltx-2.3-tiny-vocoder.safetensors"))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun engine(files: List<Path> = video + listOf(audioVae, vocoder)) = SdjEngine(EngineConfig(files, Optional.empty()).withWeightMapping(false))

    private fun request(placement: String = "auto") =
        GenerationRequest.builder("a dog barks at a passing train").size(64, 64).frames(9).fps(24).steps(2).cfgScale(1.0)
            .sampler("euler").device("CPU").threads(2).placement(placement).build()

    private fun sound(r: GenerationResult) = r.video().orElseThrow().audio().orElseThrow()

    @Test
    fun `a clip comes with 16 kHz stereo sound lasting exactly its frames, and MP4 carries it`() {
        val r = engine().use { it.generate(request()) }
        val audio = sound(r)
        assertEquals(16_000, audio.sampleRate())
        assertEquals(2, audio.channels())
        assertEquals(6_000, audio.frameCount(), "9 frames at 24 fps last 3/8 s")
        assertTrue(audio.samples().all { it.isFinite() && it in -1f..1f }, "the vocoder clamps to [-1, 1]")
        assertTrue(audio.samples().any { it != audio.samples()[0] }, "the sound is not flat")
        assertEquals(setOf("audio decoding", "vocoding"), r.placement().peakByPhase().keys.filter { "audio" in it || "vocod" in it }.toSet())

        val mp4 = dir.resolve("clip.mp4").also { Tools.get().writeVideo(r.video().orElseThrow(), r.parameters(), it) }
        NIOUtils.readableChannel(mp4.toFile()).use { channel ->
            val track = MP4Demuxer.createMP4Demuxer(channel).audioTracks.single()
            assertEquals(16_000, track.meta.audioCodecMeta.sampleRate)
            assertEquals(6_000.0 / 16_000, track.meta.totalDuration, 1e-9)
        }
    }

    @Test
    fun `a vocoder with its bandwidth extension gives 48 kHz sound of the same duration`() {
        val extended = TinyLtx2Vocoder(bwe = TinyLtx2Vocoder.tinyBwe(listOf(3))).write(dir.resolve("ltx-2.3-tiny-vocoder-bwe.safetensors"))
        val r = engine(video + listOf(audioVae, extended)).use { it.generate(request()) }
        val audio = sound(r)
        assertEquals(48_000, audio.sampleRate())
        assertEquals(2, audio.channels())
        assertEquals(18_000, audio.frameCount(), "9 frames at 24 fps last 3/8 s")
        assertTrue(audio.samples().all { it.isFinite() && it in -1f..1f }, "the extension clamps to [-1, 1]")
        val mp4 = dir.resolve("clip-48k.mp4").also { Tools.get().writeVideo(r.video().orElseThrow(), r.parameters(), it) }
        NIOUtils.readableChannel(mp4.toFile()).use { channel ->
            assertEquals(48_000, MP4Demuxer.createMP4Demuxer(channel).audioTracks.single().meta.audioCodecMeta.sampleRate)
        }
    }

    @Test
    fun `resident and sequential predict the ledger's peak and give the same sound`() {
        val resident = engine().use { it.generate(request("resident")) }
        val sequential = engine().use { it.generate(request("sequential")) }
        for (r in listOf(resident, sequential)) assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue("CPU"), r.placement().placement())
        assertArrayEquals(sound(resident).samples(), sound(sequential).samples())
    }

    @Test
    fun `a model without sound makes a silent clip, and an audio VAE without its vocoder is refused`() {
        val silent = engine(video).use { it.generate(request()) }
        assertEquals(Optional.empty<Any>(), silent.video().orElseThrow().audio())
        val e = assertThrows<UnsupportedModelException> { engine(video + listOf(audioVae)).use { it.generate(request()) } }
        assertTrue(e.message!!.contains("no vocoder"), e.message)
    }
}
