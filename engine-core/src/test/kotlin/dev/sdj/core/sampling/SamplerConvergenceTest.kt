package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs
import kotlin.math.sqrt

/**
 * Samplers against denoisers whose answers are known in closed form. For data drawn per element
 * from N(mu, s²), the ideal denoiser is the posterior mean mu + s²/(s² + sigma²)·(x - mu), and the
 * probability-flow ODE carries x at sigma0 to mu + sqrt((s² + sigma²)/(s² + sigma0²))·(x - mu).
 */
class SamplerConvergenceTest {
    private val sd = DiscreteSchedule.STABLE_DIFFUSION
    private val mu = 0.3f
    private val s = 0.5f
    private val gaussian = Denoiser { x, sigma -> FloatArray(x.size) { mu + s * s / (s * s + sigma * sigma) * (x[it] - mu) } }
    private val never: (Int, Int) -> Boolean = { _, _ -> true }

    private fun odeSolution(x0: FloatArray, from: Float, to: Float): FloatArray {
        val k = sqrt((s.toDouble() * s + to.toDouble() * to) / (s.toDouble() * s + from.toDouble() * from))
        return FloatArray(x0.size) { (mu + k * (x0[it] - mu)).toFloat() }
    }

    private fun start(sigma: Float): FloatArray {
        val z = floatArrayOf(-2f, -0.5f, 0.1f, 0.7f, 1.9f)
        return FloatArray(z.size) { mu + sqrt(s * s + sigma * sigma) * z[it] }
    }

    /** Max error at the last level of an n-step Karras run that stops short of 0 (the ODE's own end). */
    private fun error(sampler: Sampler, steps: Int): Double {
        val sigmas = sd.sigmas(steps + 1, ScheduleKind.KARRAS).copyOf(steps + 1)
        val x0 = start(sigmas[0])
        val out = sampler.sample(x0, sigmas, gaussian, PhiloxRng(0), never)
        val exact = odeSolution(x0, sigmas[0], sigmas.last())
        return out.indices.maxOf { abs(out[it].toDouble() - exact[it]) }
    }

    @Test
    fun `with a constant data point every sampler lands on it`() {
        val c = floatArrayOf(0.25f, -1.5f, 3f, 0f)
        val constant = Denoiser { _, _ -> c.copyOf() }
        for (sampler in Sampler.ALL) {
            val sigmas = sd.sigmas(12, ScheduleKind.KARRAS)
            val x0 = FloatArray(c.size) { c[it] + sigmas[0] * (it - 1.5f) }
            assertArrayEquals(c, sampler.sample(x0, sigmas, constant, PhiloxRng(1), never), 1e-5f, sampler.id)
        }
    }

    @Test
    fun `euler is first order`() {
        val e10 = error(Euler, 10)
        val e20 = error(Euler, 20)
        val e40 = error(Euler, 40)
        assertEquals(0.5, e20 / e10, 0.1, "errors $e10 $e20 $e40")
        assertEquals(0.5, e40 / e20, 0.1, "errors $e10 $e20 $e40")
    }

    @Test
    fun `dpm++ 2m is second order and beats euler`() {
        val e10 = error(DpmPlusPlus2M, 10)
        val e20 = error(DpmPlusPlus2M, 20)
        val e40 = error(DpmPlusPlus2M, 40)
        assertTrue(e20 / e10 < 0.32 && e40 / e20 < 0.32, "errors $e10 $e20 $e40")
        assertTrue(e10 < error(Euler, 10) / 2, "10 steps: dpm++2m $e10 against euler ${error(Euler, 10)}")
        assertTrue(e40 < error(Euler, 40) / 8, "40 steps: dpm++2m $e40 against euler ${error(Euler, 40)}")
    }

    @Test
    fun `dpm++ 2m's step to zero returns the model's last prediction`() {
        var latest = FloatArray(0)
        val recording = Denoiser { x, sigma -> gaussian.denoise(x, sigma).also { latest = it.copyOf() } }
        val sigmas = sd.sigmas(7, ScheduleKind.DISCRETE)
        val out = DpmPlusPlus2M.sample(start(sigmas[0]), sigmas, recording, PhiloxRng(0), never)
        assertArrayEquals(latest, out)
    }

    /**
     * Euler ancestral is first order, so with finitely many steps it ends with less spread than the
     * data. Per step, x - mu scales by f = 1 - (sigma - sigma_down)·sigma/(s² + sigma²) and gains
     * fresh noise of variance sigma_up², which predicts the final spread to compare with.
     */
    @Test
    fun `euler ancestral spreads samples as its variance recurrence predicts`() {
        val n = 20000
        val sigmas = sd.sigmas(30, ScheduleKind.KARRAS)
        val noise = PhiloxRng(5).randn(n)
        val x0 = FloatArray(n) { mu + sqrt(s * s + sigmas[0] * sigmas[0]) * noise[it] }
        val out = EulerAncestral.sample(x0, sigmas, gaussian, PhiloxRng(6), never)
        var variance = s.toDouble() * s + sigmas[0].toDouble() * sigmas[0]
        for (i in 0 until 30) {
            val a = sigmas[i].toDouble()
            val b = sigmas[i + 1].toDouble()
            val up = minOf(b, sqrt(b * b * (a * a - b * b) / (a * a)))
            val down = sqrt(b * b - up * up)
            val f = 1 - (a - down) * a / (s * s + a * a)
            variance = f * f * variance + up * up
        }
        val mean = out.average()
        val std = sqrt(out.sumOf { (it - mean) * (it - mean) } / n)
        assertEquals(mu.toDouble(), mean, 0.015)
        assertEquals(sqrt(variance), std, 0.01)
    }

    @Test
    fun `euler ancestral replays a seed and differs across seeds`() {
        val sigmas = sd.sigmas(8, ScheduleKind.DISCRETE)
        val x0 = start(sigmas[0])
        val a = EulerAncestral.sample(x0, sigmas, gaussian, TorchCpuRng(1), never)
        assertArrayEquals(a, EulerAncestral.sample(x0, sigmas, gaussian, TorchCpuRng(1), never))
        assertFalse(a.contentEquals(EulerAncestral.sample(x0, sigmas, gaussian, TorchCpuRng(2), never)))
    }

    @Test
    fun `euler ancestral draws latent-sized noise once per step except the step to zero`() {
        val sizes = mutableListOf<Int>()
        val counting = object : NoiseRng {
            val inner = PhiloxRng(3)
            override fun randn(count: Int): FloatArray = inner.randn(count).also { sizes += count }
        }
        val sigmas = sd.sigmas(6, ScheduleKind.KARRAS)
        EulerAncestral.sample(start(sigmas[0]), sigmas, gaussian, counting, never)
        assertEquals(List(5) { 5 }, sizes)
    }

    @Test
    fun `deterministic samplers leave the rng alone`() {
        val untouchable = object : NoiseRng {
            override fun randn(count: Int): FloatArray = throw AssertionError("rng used")
        }
        val sigmas = sd.sigmas(5, ScheduleKind.DISCRETE)
        for (sampler in listOf(Euler, DpmPlusPlus2M)) sampler.sample(start(sigmas[0]), sigmas, gaussian, untouchable, never)
    }
}
