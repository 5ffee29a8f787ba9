package dev.sdj.core.family.ltx2

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.exp

/**
 * The `ltx2` schedule against its definition worked in double here: shift mu = 0.95 + (tokens − 1024)·1.1/3072,
 * σ(t) = e^mu / (e^mu + 1/t − 1) at t = 1 − i/n, then 1 − σ rescaled so the last non-zero level is 0.1.
 */
class Ltx2ScheduleTest {
    /**
     * What float arithmetic (sd.cpp's, and this schedule's) can be off from the double reference by: a few ulps of 1 in
     * each raw level, magnified by the stretch, which divides 1 − σ by (1 − σ_{n−1}) / 0.9. Only a huge token count
     * (tens of thousands) pushes levels so close to 1 that this matters.
     */
    private fun tolerance(tokens: Int, steps: Int): Double {
        val raw = reference(tokens, steps, stretch = false)
        val scale = if (steps < 2) 1.0 else (1 - raw[steps - 1]) / 0.9
        return 1e-6 + 8 * Math.ulp(1f).toDouble() / scale
    }

    private fun reference(tokens: Int, steps: Int, stretch: Boolean = true): DoubleArray {
        val mu = 0.95 + (tokens - 1024) * (2.05 - 0.95) / (4096 - 1024)
        val raw = DoubleArray(steps + 1) { i ->
            val t = 1.0 - i.toDouble() / steps
            if (t == 0.0) 0.0 else exp(mu) / (exp(mu) + 1 / t - 1)
        }
        if (steps < 2 || !stretch) return raw
        val k = (1 - raw[steps - 1]) / (1 - 0.1)
        return DoubleArray(steps + 1) { i -> if (i == steps) 0.0 else 1 - (1 - raw[i]) / k }
    }

    @Test
    fun `levels follow the formula for several token counts and step counts`() {
        for (tokens in listOf(1, 64, 1024, 1920, 4096, 7360, 30000)) {
            for (steps in listOf(2, 3, 8, 20, 40)) {
                val expected = reference(tokens, steps)
                val tolerance = tolerance(tokens, steps)
                val sigmas = Ltx2Schedule(tokens).sigmas(steps)
                assertEquals(steps + 1, sigmas.size)
                for (i in sigmas.indices) {
                    assertEquals(expected[i], sigmas[i].toDouble(), tolerance, "tokens $tokens, steps $steps, level $i")
                }
            }
        }
    }

    @Test
    fun `the shift runs from 0_95 at 1024 tokens to 2_05 at 4096`() {
        assertEquals(0.95f, Ltx2Schedule(1024).shift, 1e-6f)
        assertEquals(2.05f, Ltx2Schedule(4096).shift, 1e-6f)
        assertEquals(1.5f, Ltx2Schedule(2560).shift, 1e-6f)
    }

    @Test
    fun `the stretch lands the last non-zero level on the terminal and keeps the first at 1`() {
        for (tokens in listOf(100, 1920, 9000)) for (steps in listOf(2, 8, 30)) {
            val sigmas = Ltx2Schedule(tokens).sigmas(steps)
            assertEquals(1f, sigmas[0], "tokens $tokens, steps $steps")
            assertEquals(Ltx2Schedule.TERMINAL, sigmas[steps - 1], 1e-6f, "tokens $tokens, steps $steps")
            assertEquals(0f, sigmas[steps])
            for (i in 0 until steps) assertTrue(sigmas[i + 1] < sigmas[i], "levels must fall: ${sigmas.toList()}")
        }
    }

    @Test
    fun `one step goes from pure noise straight to zero`() {
        assertArrayEquals(floatArrayOf(1f, 0f), Ltx2Schedule(1920).sigmas(1))
    }

    @Test
    fun `more tokens keep the noise higher at the same step`() {
        val small = Ltx2Schedule(256).sigmas(10)
        val large = Ltx2Schedule(8192).sigmas(10)
        for (i in 1 until 9) assertTrue(large[i] > small[i], "step $i: ${large[i]} vs ${small[i]}")
    }

    @Test
    fun `the DiT is given sigma itself`() {
        val schedule = Ltx2Schedule(1920)
        for (sigma in schedule.sigmas(8)) assertEquals(sigma, schedule.modelTimestep(sigma))
    }

    @Test
    fun `a schedule needs tokens and steps`() {
        assertThrows(IllegalArgumentException::class.java) { Ltx2Schedule(0) }
        assertThrows(IllegalArgumentException::class.java) { Ltx2Schedule(64).sigmas(0) }
    }
}
