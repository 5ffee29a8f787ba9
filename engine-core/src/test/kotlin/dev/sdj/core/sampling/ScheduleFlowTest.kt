package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.pow

/**
 * Flux's flow schedule against values worked out by hand from σ(t) = e^shift / (e^shift + 1/u − 1), u = (t + 1)/1000.
 * Four discrete steps take t = 999, 666, 333, 0, so u = 1, 0.667, 0.334, 0.001 and 1/u − 1 = 0, 0.49925, 1.99401, 999.
 */
class ScheduleFlowTest {
    private val dev = FlowSchedule(FlowSchedule.FLUX_DEV_SHIFT)
    private val schnell = FlowSchedule(FlowSchedule.FLUX_SCHNELL_SHIFT)

    @Test
    fun `four dev steps with shift 1_15`() {
        // e^1.15 = 3.158193: 3.158193 / (3.158193 + 0.49925) = 0.863497, / (… + 1.99401) = 0.612979, / (… + 999) = 0.0031514
        assertArrayEquals(floatArrayOf(1f, 0.863497f, 0.612979f, 0.0031514f, 0f), dev.sigmas(4, ScheduleKind.DISCRETE), 2e-6f)
    }

    @Test
    fun `four schnell steps with shift 1`() {
        // e = 2.718282: 2.718282 / (2.718282 + 0.49925) = 0.844834, / (… + 1.99401) = 0.576849, / (… + 999) = 0.0027136
        assertArrayEquals(floatArrayOf(1f, 0.844834f, 0.576849f, 0.0027136f, 0f), schnell.sigmas(4, ScheduleKind.DISCRETE), 2e-6f)
    }

    @Test
    fun `twenty dev steps run from exactly 1 through the shifted timesteps to 0`() {
        val s = dev.sigmas(20, ScheduleKind.DISCRETE)
        assertEquals(21, s.size)
        assertEquals(1f, s[0])
        assertEquals(0f, s[20])
        for (i in 0 until 20) assertEquals(dev.tToSigma(999f - 999f / 19 * i), s[i])
        for (i in 1..20) assertTrue(s[i] < s[i - 1], "sigma $i = ${s[i]} not below ${s[i - 1]}")
        // A larger shift keeps more of the run at high noise: every interior level sits above schnell's.
        val plain = schnell.sigmas(20, ScheduleKind.DISCRETE)
        for (i in 1 until 20) assertTrue(s[i] > plain[i], "step $i: dev ${s[i]} vs schnell ${plain[i]}")
    }

    /**
     * With 22 steps the last t rounds to −6e-5 in float. sd.cpp does not clamp it (no table is indexed), so neither
     * does this: u shrinks by 6e-5 relative and so, near σ ≈ e^shift·u, does the level.
     */
    @Test
    fun `a last timestep rounding below zero is used as sd_cpp uses it`() {
        val s = dev.sigmas(22, ScheduleKind.DISCRETE)
        assertTrue(s[21] > 0f && s[21] < dev.sigmaMin)
        assertEquals(dev.sigmaMin, s[21], dev.sigmaMin * 1e-4f)
    }

    @Test
    fun `one step goes from pure noise straight to data`() {
        for (kind in ScheduleKind.entries) assertArrayEquals(floatArrayOf(1f, 0f), dev.sigmas(1, kind))
    }

    @Test
    fun `karras spans sigma min to 1 evenly in sigma to the 1 over 7`() {
        val s = dev.sigmas(8, ScheduleKind.KARRAS)
        assertEquals(1f, s[0], 1e-6f)
        assertEquals(0.0031514f, s[7], 1e-7f)
        val roots = (0 until 8).map { s[it].toDouble().pow(1 / 7.0) }
        for (i in 1 until 7) assertEquals(0.0, roots[i + 1] - 2 * roots[i] + roots[i - 1], 1e-6)
    }

    @Test
    fun `the dit is fed sigma itself`() {
        assertEquals(0.612979f, dev.modelTimestep(0.612979f))
    }

    @Test
    fun `the shift follows the guidance embedding`() {
        assertEquals(1.15f, FlowSchedule.flux(hasGuidanceEmbedding = true).shift)
        assertEquals(1.0f, FlowSchedule.flux(hasGuidanceEmbedding = false).shift)
    }

    @Test
    fun `text to image starts from the noise itself`() {
        val noise = floatArrayOf(0.3f, -1.2f, 2f)
        assertArrayEquals(noise, FlowSchedule.noised(FloatArray(3) { 0.1159f }, noise, 1f))
        assertArrayEquals(floatArrayOf(0.75f * 2f + 0.25f * 0.3f), FlowSchedule.noised(floatArrayOf(2f), floatArrayOf(0.3f), 0.25f), 1e-7f)
    }

    @Test
    fun `bad shifts, steps and levels are refused`() {
        for (bad in listOf(0f, -1f, Float.NaN, Float.POSITIVE_INFINITY)) assertThrows(IllegalArgumentException::class.java) { FlowSchedule(bad) }
        assertThrows(IllegalArgumentException::class.java) { dev.sigmas(0, ScheduleKind.DISCRETE) }
        assertThrows(IllegalArgumentException::class.java) { dev.tToSigma(1000f) }
        assertThrows(IllegalArgumentException::class.java) { FlowSchedule.noised(FloatArray(1), FloatArray(1), 1.5f) }
    }
}
