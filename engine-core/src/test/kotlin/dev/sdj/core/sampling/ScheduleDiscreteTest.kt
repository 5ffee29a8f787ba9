package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class ScheduleDiscreteTest {
    private val sd = DiscreteSchedule.STABLE_DIFFUSION

    @Test
    fun `alphas cumprod at both ends`() {
        assertEquals(1000, sd.timesteps)
        assertEquals(1 - 0.00085f, sd.alphaCumprod(0), 1e-7f)
        assertEquals(0.0046601f, sd.alphaCumprod(999), 1e-7f)
        assertTrue((1 until 1000).all { sd.alphaCumprod(it) < sd.alphaCumprod(it - 1) })
    }

    /** The SD1.5 range that stable-diffusion.cpp's Align-Your-Steps table starts and ends on. */
    @Test
    fun `sigma range of Stable Diffusion`() {
        assertEquals(14.6146412293f, sd.sigmaMax, 2e-5f)
        assertEquals(0.0291671582f, sd.sigmaMin, 1e-8f)
    }

    @Test
    fun `fractional timesteps interpolate log sigma`() {
        for (t in listOf(0, 1, 500, 998, 999)) assertEquals(sd.sigmaAt(t), sd.tToSigma(t.toFloat()))
        val mid = Math.sqrt(sd.sigmaAt(10).toDouble() * sd.sigmaAt(11)).toFloat()
        assertEquals(mid, sd.tToSigma(10.5f), mid * 1e-6f)
    }

    @Test
    fun `sigmaToT inverts tToSigma`() {
        var t = 0f
        while (t <= 999f) {
            assertEquals(t, sd.sigmaToT(sd.tToSigma(t)), 2e-3f, "t = $t")
            t += 0.37f
        }
        assertEquals(999f, sd.sigmaToT(sd.sigmaMax), 1e-3f)
    }

    @Test
    fun `sigmas outside the table clamp to its ends`() {
        assertEquals(999f, sd.sigmaToT(100f))
        assertEquals(0f, sd.sigmaToT(0.001f))
        assertEquals(0f, sd.sigmaToT(0f))
    }

    @Test
    fun `out of range inputs are refused`() {
        assertThrows(IllegalArgumentException::class.java) { sd.tToSigma(-0.5f) }
        assertThrows(IllegalArgumentException::class.java) { sd.tToSigma(999.5f) }
        assertThrows(IllegalArgumentException::class.java) { sd.tToSigma(Float.NaN) }
        assertThrows(IllegalArgumentException::class.java) { sd.sigmaToT(-1f) }
        assertThrows(IllegalArgumentException::class.java) { sd.sigmaToT(Float.NaN) }
        assertThrows(IllegalArgumentException::class.java) { sd.sigmaAt(1000) }
        assertThrows(IllegalArgumentException::class.java) { DiscreteSchedule.scaledLinear(0.0, 0.012, 1000) }
        assertThrows(IllegalArgumentException::class.java) { DiscreteSchedule.scaledLinear(0.00085, 0.012, 1) }
    }
}
