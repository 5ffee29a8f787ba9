package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.sampling.PhiloxRng
import dev.sdj.core.sampling.TorchCpuRng
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

/**
 * The denoising loop over a fake DiT whose answer is known: the velocity (x − target)/σ is the flow toward [target]
 * from wherever x is, so its denoised estimate is the target at every step and every flow sampler ends on it exactly.
 * Two prompts with different targets show what guidance mixes: targets mix as the velocities do.
 */
class Ltx2DiffusionTest {
    private val shape = Ltx2VideoShape(64, 96, 9, 24)
    private val diffusion = Ltx2Diffusion(shape)
    private val videoTarget = FloatArray(shape.videoValues) { (it % 7) * 0.25f - 0.75f }
    private val audioTarget = FloatArray(shape.audioValues) { (it % 5) * -0.5f + 1f }
    private val negativeVideo = FloatArray(shape.videoValues) { (it % 3) * 0.5f }
    private val negativeAudio = FloatArray(shape.audioValues) { -(it % 4) * 0.25f }

    private fun request(sampler: String = "euler", cfg: Double = 1.0, steps: Int = 6, rng: String = "cuda") =
        GenerationRequest.builder("a cat").size(64, 96).frames(9).fps(24).steps(steps).cfgScale(cfg).sampler(sampler).rng(rng).seed(7).build()

    private fun toward(x: FloatArray, target: FloatArray, sigma: Float) = FloatArray(x.size) { (x[it] - target[it]) / sigma }

    private inner class Fake : Ltx2Velocity {
        val calls = mutableListOf<Triple<FloatArray, Float, Int>>()
        val audios = mutableListOf<FloatArray>()
        override fun velocity(video: FloatArray, audio: FloatArray, timestep: Float, videoTimesteps: FloatArray?, prompt: Int): Ltx2AudioVideo {
            calls += Triple(video.copyOf(), timestep, prompt)
            audios += audio.copyOf()
            return if (prompt == 0) {
                Ltx2AudioVideo(toward(video, videoTarget, timestep), toward(audio, audioTarget, timestep))
            } else {
                Ltx2AudioVideo(toward(video, negativeVideo, timestep), toward(audio, negativeAudio, timestep))
            }
        }
    }

    private fun assertClose(expected: FloatArray, actual: FloatArray, what: String) {
        assertEquals(expected.size, actual.size, what)
        for (i in expected.indices) assertTrue(abs(expected[i] - actual[i]) < 1e-4f, "$what[$i]: ${expected[i]} vs ${actual[i]}")
    }

    @Test
    fun `every flow sampler ends on the target the velocity flows to, video and audio`() {
        for (sampler in listOf("euler", "euler_a", "dpm++2m")) {
            val out = diffusion.denoise(request(sampler), Fake(), ProgressListener.NONE, CancellationToken())
            assertClose(videoTarget, out.video, "$sampler video")
            assertClose(audioTarget, out.audio, "$sampler audio")
        }
    }

    @Test
    fun `the model is asked once a step at the schedule's levels, starting from the seed's noise`() {
        val fake = Fake()
        diffusion.denoise(request(), fake, ProgressListener.NONE, CancellationToken())
        val sigmas = Ltx2Schedule(shape.videoTokens).sigmas(6)
        assertEquals(sigmas.dropLast(1), fake.calls.map { it.second })
        assertEquals(List(6) { 0 }, fake.calls.map { it.third })
        val noise = PhiloxRng(7).randn(diffusion.latents.packedSize)
        assertArrayEquals(noise.copyOfRange(0, shape.videoValues), fake.calls[0].first)
        assertArrayEquals(noise.copyOfRange(shape.videoValues, shape.videoValues + shape.audioValues), fake.audios[0])
    }

    @Test
    fun `the cpu rng draws torch's CPU noise instead`() {
        val fake = Fake()
        diffusion.denoise(request(rng = "cpu"), fake, ProgressListener.NONE, CancellationToken())
        val noise = TorchCpuRng(7).randn(diffusion.latents.packedSize)
        assertArrayEquals(noise.copyOfRange(0, shape.videoValues), fake.calls[0].first)
    }

    @Test
    fun `guidance mixes the prompts' velocities with one scale for video and audio`() {
        val cfg = 3.5f
        val fake = Fake()
        val out = diffusion.denoise(request(cfg = cfg.toDouble()), fake, ProgressListener.NONE, CancellationToken())
        assertEquals(List(6) { listOf(0, 1) }.flatten(), fake.calls.map { it.third }, "the negative prompt after the prompt, every step")
        assertClose(FloatArray(videoTarget.size) { negativeVideo[it] + cfg * (videoTarget[it] - negativeVideo[it]) }, out.video, "video")
        assertClose(FloatArray(audioTarget.size) { negativeAudio[it] + cfg * (audioTarget[it] - negativeAudio[it]) }, out.audio, "audio")
    }

    @Test
    fun `progress counts the steps and cancelling stops before the next model call`() {
        val seen = mutableListOf<Int>()
        val cancel = CancellationToken()
        val fake = Fake()
        val listener = ProgressListener { phase, step, total ->
            assertEquals("denoising", phase)
            assertEquals(6, total)
            seen += step
            if (step == 2) cancel.cancel()
        }
        val e = assertThrows(GenerationCancelledException::class.java) { diffusion.denoise(request(), fake, listener, cancel) }
        assertEquals(2, e.completedSteps())
        assertEquals(listOf(0, 1, 2), seen)
        assertEquals(2, fake.calls.size)
    }

    @Test
    fun `a request of another shape than the diffusion's is refused`() {
        val other = GenerationRequest.builder("a cat").size(64, 96).frames(17).fps(24).build()
        val e = assertThrows(IllegalArgumentException::class.java) { diffusion.denoise(other, Fake(), ProgressListener.NONE, CancellationToken()) }
        assertEquals("the request is for 64x96, 17 frames at 24 fps, but this diffusion was set up for 64x96, 9 frames at 24 fps", e.message)
    }

    @Test
    fun `a model answering with the wrong sizes or with NaN fails naming it`() {
        val short = Ltx2Velocity { video, _, _, _, _ -> Ltx2AudioVideo(video.copyOf(), FloatArray(3)) }
        val e = assertThrows(IllegalStateException::class.java) { diffusion.denoise(request(), short, ProgressListener.NONE, CancellationToken()) }
        assertTrue(e.message!!.contains("3 audio values"), e.message)
        val nan = Ltx2Velocity { video, audio, _, _, _ -> Ltx2AudioVideo(FloatArray(video.size) { Float.NaN }, audio.copyOf()) }
        val n = assertThrows(EngineException::class.java) { diffusion.denoise(request(), nan, ProgressListener.NONE, CancellationToken()) }
        assertTrue(n.message!!.contains("denoising step 1 of 6"), n.message)
    }
}
