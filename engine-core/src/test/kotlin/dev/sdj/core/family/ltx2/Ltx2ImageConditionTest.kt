package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.sampling.PhiloxRng
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs

/**
 * Image-to-video's first-frame hold in the denoising loop, over a fake DiT that flows every token toward [target]
 * (its denoised estimate is the target at every step): what the DiT is given, the video timesteps it is given, and
 * where frame 0 ends for a strength.
 */
class Ltx2ImageConditionTest {
    private val shape = Ltx2VideoShape(64, 96, 9, 24)
    private val diffusion = Ltx2Diffusion(shape)
    private val cells = shape.latentWidth * shape.latentHeight
    private val image = FloatArray(cells * 128) { (it % 11) * 0.2f - 1f }
    private val target = FloatArray(shape.videoValues) { (it % 7) * 0.25f - 0.75f }
    private val audioTarget = FloatArray(shape.audioValues) { (it % 5) * -0.5f + 1f }

    private fun request(sampler: String = "euler") =
        GenerationRequest.builder("a cat").size(64, 96).frames(9).fps(24).steps(6).cfgScale(1.0).sampler(sampler).seed(7).build()

    private class Call(val video: FloatArray, val timestep: Float, val videoTimesteps: FloatArray?)

    private inner class Fake : Ltx2Velocity {
        val calls = mutableListOf<Call>()
        override fun velocity(video: FloatArray, audio: FloatArray, timestep: Float, videoTimesteps: FloatArray?, prompt: Int): Ltx2AudioVideo {
            calls += Call(video.copyOf(), timestep, videoTimesteps?.copyOf())
            return Ltx2AudioVideo(FloatArray(video.size) { (video[it] - target[it]) / timestep }, FloatArray(audio.size) { (audio[it] - audioTarget[it]) / timestep })
        }
    }

    private fun condition(strength: Double) = Ltx2ImageCondition(diffusion.latents, image, strength)

    /** Frame 0 of a video latent [W, H, F, 128]: its cells in every channel, as [image] holds them. */
    private fun frame0(video: FloatArray) = FloatArray(cells * 128) { video[it % cells + shape.videoTokens * (it / cells)] }

    private fun isFrame0(i: Int) = i % shape.videoTokens < cells

    private fun maxDiff(a: FloatArray, b: FloatArray) = a.indices.maxOf { abs(a[it] - b[it]) }

    @Test
    fun `at strength 1 the DiT sees the image's latent in frame 0 at timestep 0, and frame 0 ends on it`() {
        val fake = Fake()
        val out = diffusion.denoise(request(), fake, ProgressListener.NONE, CancellationToken(), condition(1.0))
        for (call in fake.calls) {
            assertArrayEquals(image, frame0(call.video), "the DiT's frame 0 at σ ${call.timestep}")
            assertArrayEquals(FloatArray(shape.latentFrames) { if (it == 0) 0f else call.timestep }, call.videoTimesteps)
        }
        assertTrue(maxDiff(image, frame0(out.video)) <= 1e-6f, "frame 0 ends ${maxDiff(image, frame0(out.video))} from the image's latent")
        val later = target.indices.filter { !isFrame0(it) }
        assertTrue(later.all { abs(out.video[it] - target[it]) < 1e-4f }, "the later frames reach the target")
        assertTrue(out.audio.indices.all { abs(out.audio[it] - audioTarget[it]) < 1e-4f }, "the audio reaches its target")
    }

    /** The DiT's first input: the seed's noise (σ₀ = 1), frame 0 blended with the image by the mask 1 − strength. */
    @Test
    fun `at strength 0·75 the DiT sees frame 0 a quarter noise, three quarters image, at a quarter of the timestep`() {
        val fake = Fake()
        diffusion.denoise(request(), fake, ProgressListener.NONE, CancellationToken(), condition(0.75))
        val noise = PhiloxRng(7).randn(diffusion.latents.packedSize)
        val first = fake.calls[0]
        val noise0 = frame0(noise)
        assertArrayEquals(FloatArray(image.size) { noise0[it] * 0.25f + image[it] * 0.75f }, frame0(first.video))
        val later = (0 until shape.videoValues).filter { !isFrame0(it) }
        assertTrue(later.all { first.video[it] == noise[it] }, "the later frames are the noise itself")
        assertArrayEquals(FloatArray(shape.latentFrames) { if (it == 0) 0.25f * first.timestep else first.timestep }, first.videoTimesteps)
    }

    @Test
    fun `at strength 0 the loop is text-to-video's, value for value`() {
        val plain = Fake()
        val t2v = diffusion.denoise(request(), plain, ProgressListener.NONE, CancellationToken())
        val held = Fake()
        val i2v = diffusion.denoise(request(), held, ProgressListener.NONE, CancellationToken(), condition(0.0))
        assertArrayEquals(t2v.video, i2v.video)
        assertArrayEquals(t2v.audio, i2v.audio)
        plain.calls.zip(held.calls).forEach { (a, b) ->
            assertArrayEquals(a.video, b.video)
            assertArrayEquals(FloatArray(shape.latentFrames) { a.timestep }, b.videoTimesteps)
        }
    }

    @Test
    fun `a latent that is not one frame of the clip's size is refused`() {
        val e = assertThrows(IllegalArgumentException::class.java) { Ltx2ImageCondition(diffusion.latents, FloatArray(128), 1.0) }
        assertEquals("the image's latent has 128 values, not one 2x3 frame of 128 channels", e.message)
    }
}
