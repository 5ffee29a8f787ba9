package dev.sdj.core.family.sd

import dev.sdj.core.sampling.DiscreteSchedule
import dev.sdj.core.sampling.ScheduleKind
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** Where image-to-image enters the schedule and the noise, counted as stable-diffusion.cpp counts them. */
class ImageToImageTest {
    private val full = DiscreteSchedule.scaledLinear(0.00085, 0.012, 1000).sigmas(20, ScheduleKind.DISCRETE)

    @Test
    fun `strength one keeps the whole schedule and with a zero latent starts where text-to-image starts, bit for bit`() {
        assertArrayEquals(full, ImageToImage.sigmas(full, 1.0))
        val noise = FloatArray(64) { (it - 31) * 0.37f }
        val textToImage = ImageToImage.start(noise, full[0], null)
        val fromZero = ImageToImage.start(noise, full[0], FloatArray(64) { 0f })
        assertArrayEquals(textToImage.map { it.toRawBits() }.toIntArray(), fromZero.map { it.toRawBits() }.toIntArray())
    }

    @Test
    fun `a strength keeps the last floor of steps times strength steps plus one, and zero still runs one`() {
        assertEquals(16, ImageToImage.sigmas(full, 0.75).size - 1)
        assertArrayEquals(full.copyOfRange(4, 21), ImageToImage.sigmas(full, 0.75))
        assertArrayEquals(floatArrayOf(full[19], 0f), ImageToImage.sigmas(full, 0.0))
        // 10 × 0.7 is 7 (not 6.99…, which would floor to 6): eight steps
        val ten = DiscreteSchedule.scaledLinear(0.00085, 0.012, 1000).sigmas(10, ScheduleKind.DISCRETE)
        assertEquals(8, ImageToImage.sigmas(ten, 0.7).size - 1)
    }

    @Test
    fun `the start adds the noise at the first sigma to the latent`() {
        val start = ImageToImage.start(floatArrayOf(1f, -2f), 3f, floatArrayOf(0.5f, 0.25f))
        assertArrayEquals(floatArrayOf(3.5f, -5.75f), start)
    }
}
