package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.pow

class ScheduleSigmasTest {
    private val sd = DiscreteSchedule.STABLE_DIFFUSION

    private fun assertDescendingToZero(s: FloatArray) {
        assertEquals(0f, s.last())
        for (i in 1 until s.size) assertTrue(s[i] < s[i - 1], "sigma $i = ${s[i]} not below ${s[i - 1]}")
    }

    @Test
    fun `discrete spacing is uniform in t from 999 to 0`() {
        val s = sd.sigmas(20, ScheduleKind.DISCRETE)
        assertEquals(21, s.size)
        assertEquals(sd.sigmaMax, s[0])
        assertEquals(sd.sigmaMin, s[19])
        for (i in 0 until 20) assertEquals(sd.tToSigma(999f - 999f / 19 * i), s[i])
        assertDescendingToZero(s)
    }

    /** With 22 steps, 999 - (999/21)·21 rounds to -6e-5 in float: the last level must still be sigma(0). */
    @Test
    fun `discrete spacing whose last timestep rounds below zero stays in the table`() {
        val s = sd.sigmas(22, ScheduleKind.DISCRETE)
        assertEquals(sd.sigmaMin, s[21])
        assertDescendingToZero(s)
    }

    @Test
    fun `karras spans the schedule's range evenly in sigma to the 1 over 7`() {
        val s = sd.sigmas(10, ScheduleKind.KARRAS)
        assertEquals(11, s.size)
        assertEquals(sd.sigmaMax, s[0], 1e-5f)
        assertEquals(sd.sigmaMin, s[9], 1e-7f)
        assertDescendingToZero(s)
        val roots = (0 until 10).map { s[it].toDouble().pow(1 / 7.0) }
        for (i in 1 until 9) assertEquals(0.0, roots[i + 1] - 2 * roots[i] + roots[i - 1], 1e-6)
    }

    @Test
    fun `karras puts more steps at low noise than discrete`() {
        val karras = sd.sigmas(20, ScheduleKind.KARRAS)
        val discrete = sd.sigmas(20, ScheduleKind.DISCRETE)
        assertTrue(karras[10] < discrete[10])
    }

    @Test
    fun `one step goes straight from sigma max to zero`() {
        for (kind in ScheduleKind.entries) assertArrayEquals(floatArrayOf(sd.sigmaMax, 0f), sd.sigmas(1, kind))
    }

    @Test
    fun `fewer than one step is refused`() {
        assertThrows(IllegalArgumentException::class.java) { sd.sigmas(0, ScheduleKind.DISCRETE) }
    }
}
