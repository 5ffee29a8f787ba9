package dev.sdj.core.family.ltx2

import dev.sdj.core.sampling.PhiloxRng
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test

/** The packed video + audio latent, its noise and its token layouts, as stable-diffusion.cpp lays them out. */
class Ltx2LatentsTest {
    // 3 × 2 cells × 2 latent frames = 12 cells; 9 frames at 24 fps = 10 audio steps = 1280 values = 107 extra channels.
    private val shape = Ltx2VideoShape(96, 64, 9, 24)
    private val latents = Ltx2Latents(shape)

    private fun ramp(n: Int, from: Float) = FloatArray(n) { from + it }

    @Test
    fun `the audio takes as many extra channels as its values fill, rounded up`() {
        assertEquals(12, shape.videoTokens)
        assertEquals(10, shape.audioLength)
        assertEquals((10 * 8 * 16 + 11) / 12, latents.audioChannels)
        assertEquals(12 * (128 + latents.audioChannels), latents.packedSize)
        val clip = Ltx2Latents(Ltx2VideoShape(768, 512, 33, 24))
        assertEquals(3, clip.audioChannels, "35 × 128 = 4480 audio values over 1920 cells")
    }

    @Test
    fun `packing lays the video then the audio then zeros, and unpacks to both`() {
        val video = ramp(shape.videoValues, 1f)
        val audio = ramp(shape.audioValues, -5000f)
        val packed = latents.pack(video, audio)
        assertEquals(video[0], packed[0])
        assertEquals(audio[0], packed[shape.videoValues])
        for (i in shape.videoValues + shape.audioValues until packed.size) assertEquals(0f, packed[i], "padding at $i")
        assertArrayEquals(video, latents.video(packed))
        assertArrayEquals(audio, latents.audio(packed))
    }

    @Test
    fun `the noise is one draw over the packed latent, video first, so a seed means what it means in sd_cpp`() {
        val noise = latents.noise(PhiloxRng(42))
        val draws = PhiloxRng(42).randn(latents.packedSize)
        assertArrayEquals(draws, noise)
        assertArrayEquals(draws.copyOfRange(0, shape.videoValues), latents.video(noise))
        assertArrayEquals(draws.copyOfRange(shape.videoValues, shape.videoValues + shape.audioValues), latents.audio(noise))
    }

    @Test
    fun `arrays of the wrong size are refused naming the sizes`() {
        val e = assertThrows(IllegalArgumentException::class.java) { latents.pack(FloatArray(3), FloatArray(shape.audioValues)) }
        assertEquals("the video latent has 3 values, not ${shape.videoValues} (96x64, 9 frames at 24 fps)", e.message)
        assertThrows(IllegalArgumentException::class.java) { latents.video(FloatArray(latents.packedSize - 1)) }
        assertThrows(IllegalArgumentException::class.java) { latents.audio(FloatArray(1)) }
    }
}
