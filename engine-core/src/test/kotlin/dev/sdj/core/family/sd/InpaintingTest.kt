package dev.sdj.core.family.sd

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** Inpainting's latent arithmetic, as stable-diffusion.cpp defines it, on hand-made masks and latents. */
class InpaintingTest {
    @Test
    fun `a latent value is repainted when any pixel of its 8x8 block is`() {
        // 24×16 pixels: 3×2 latent values; one pixel at (9, 15) lies in block (1, 1), the block at (0, 0) is all white
        val mask = FloatArray(24 * 16)
        mask[9 + 24 * 15] = 1f
        for (y in 0 until 8) for (x in 0 until 8) mask[x + 24 * y] = 1f
        assertArrayEquals(floatArrayOf(1f, 0f, 0f, 0f, 1f, 0f), Inpainting.latentMask(mask, 24, 16))
    }

    @Test
    fun `the dilated mask grows one value on every side, clipped at the edges`() {
        val mask = FloatArray(5 * 4).also { it[0 + 5 * 2] = 1f }
        val grown = Inpainting.dilated(mask, 5, 4)
        val expected = FloatArray(5 * 4)
        for (y in 1..3) for (x in 0..1) expected[x + 5 * y] = 1f
        assertArrayEquals(expected, grown)
    }

    @Test
    fun `the masked image is mid grey where repainted and the image where kept`() {
        val image = floatArrayOf(0.5f, -1f, 0.25f, 1f, -0.5f, 0.75f)   // two pixels, three planes
        assertArrayEquals(floatArrayOf(0f, -1f, 0f, 1f, 0f, 0.75f), Inpainting.maskedImage(image, floatArrayOf(1f, 0f)))
    }

    @Test
    fun `the blend keeps the init latent exactly where the mask is 0 and the denoised one where it is 1, in every channel`() {
        val init = floatArrayOf(0.1f, 0.2f, 0.3f, 0.4f)         // two positions, two channels
        val denoised = floatArrayOf(9f, 8f, 7f, 6f)
        assertArrayEquals(floatArrayOf(0.1f, 8f, 0.3f, 6f), Inpainting.blend(denoised, init, floatArrayOf(0f, 1f)))
    }

    @Test
    fun `an inpainting UNet reads the mask, then the masked latent, and for the negative prompt the mask and zeros`() {
        val mask = floatArrayOf(1f, 0f)
        val masked = FloatArray(8) { it + 1f }
        val input = InpaintingInput.of(mask, masked)
        assertArrayEquals(floatArrayOf(1f, 0f) + masked, input.conditional)
        assertArrayEquals(floatArrayOf(1f, 0f) + FloatArray(8), input.unconditional)
        assertEquals(InpaintingInput.CHANNELS * 2, input.conditional.size)
        val everything = InpaintingInput.everything(2)
        assertArrayEquals(floatArrayOf(1f, 1f) + FloatArray(8), everything.conditional)
        assertArrayEquals(everything.conditional, everything.unconditional)
    }
}
