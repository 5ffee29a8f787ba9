package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.abs
import kotlin.math.sqrt

/**
 * Samplers on flow-matching latents x = (1 − σ)·data + σ·noise, against answers known in closed form. For data drawn
 * per element from N(mu, s²), x has mean (1 − σ)·mu and variance V(σ) = (1 − σ)²s² + σ²; the ideal denoiser is the
 * posterior mean mu + (1 − σ)s²/V(σ)·(x − (1 − σ)mu), and the probability-flow ODE dx/dσ = (x − D)/σ keeps
 * (x − (1 − σ)mu)/√V(σ) constant, which gives the exact solution to compare with.
 */
class SamplerFlowTest {
    private val flux = FlowSchedule(FlowSchedule.FLUX_DEV_SHIFT)
    private val mu = 0.3
    private val s = 0.5
    private val never: (Int, Int) -> Boolean = { _, _ -> true }

    private fun variance(sigma: Double) = (1 - sigma) * (1 - sigma) * s * s + sigma * sigma
    private fun gain(sigma: Double) = (1 - sigma) * s * s / variance(sigma)

    private val gaussian = Denoiser { x, sigma ->
        val g = gain(sigma.toDouble())
        FloatArray(x.size) { (mu + g * (x[it] - (1 - sigma) * mu)).toFloat() }
    }

    private fun odeSolution(x0: FloatArray, from: Float, to: Float): DoubleArray {
        val k = sqrt(variance(to.toDouble()) / variance(from.toDouble()))
        return DoubleArray(x0.size) { (1 - to) * mu + k * (x0[it] - (1 - from) * mu) }
    }

    private fun start(sigma: Float): FloatArray {
        val z = floatArrayOf(-2f, -0.5f, 0.1f, 0.7f, 1.9f)
        return FloatArray(z.size) { ((1 - sigma) * mu + sqrt(variance(sigma.toDouble())) * z[it]).toFloat() }
    }

    /** Max error at the last positive level of an n-step Flux run (the ODE's own end, before the jump to 0). */
    private fun error(sampler: Sampler, steps: Int): Double {
        val sigmas = flux.sigmas(steps + 1, ScheduleKind.DISCRETE).copyOf(steps + 1)
        val x0 = start(sigmas[0])
        val out = sampler.sample(x0, sigmas, gaussian, PhiloxRng(0), never)
        val exact = odeSolution(x0, sigmas[0], sigmas.last())
        return out.indices.maxOf { abs(out[it] - exact[it]) }
    }

    @Test
    fun `the velocity converts to the clean latent`() {
        val data = floatArrayOf(0.4f, -1.2f, 2f)
        val noise = floatArrayOf(1.1f, 0.3f, -0.7f)
        for (sigma in listOf(0.003f, 0.5f, 1f)) {
            val x = FloatArray(3) { (1 - sigma) * data[it] + sigma * noise[it] }
            val v = FloatArray(3) { noise[it] - data[it] }
            assertArrayEquals(data, Prediction.flowToDenoised(x, v, sigma), 1e-6f)
        }
    }

    @Test
    fun `euler is first order on the flow ODE`() {
        val e10 = error(Euler, 10)
        val e20 = error(Euler, 20)
        val e40 = error(Euler, 40)
        assertEquals(0.5, e20 / e10, 0.1, "errors $e10 $e20 $e40")
        assertEquals(0.5, e40 / e20, 0.1, "errors $e10 $e20 $e40")
    }

    /**
     * Second order only once the steps are fine: Flux's levels end with steps that are huge in λ = −log σ (σ 0.06 to
     * 0.003 in the last of 20), where the extrapolation from the previous prediction overshoots; at 10 and 20 steps
     * its error here is above Euler's (1.0 and 0.49 against 0.27 and 0.14), as it is in sd.cpp, which runs the same update.
     */
    @Test
    fun `dpm++ 2m is second order on the flow ODE as the steps refine`() {
        val e40 = error(DpmPlusPlus2M, 40)
        val e80 = error(DpmPlusPlus2M, 80)
        val e160 = error(DpmPlusPlus2M, 160)
        assertTrue(e80 / e40 < 0.3 && e160 / e80 < 0.3, "errors $e40 $e80 $e160")
        assertTrue(e160 < error(Euler, 160) / 2, "160 steps: dpm++2m $e160 against euler ${error(Euler, 160)}")
    }

    @Test
    fun `every flow sampler lands on a constant data point`() {
        val c = floatArrayOf(0.25f, -1.5f, 3f, 0f)
        val constant = Denoiser { _, _ -> c.copyOf() }
        for (sampler in Sampler.ALL.map { it.forFlow() }) {
            val sigmas = flux.sigmas(12, ScheduleKind.DISCRETE)
            val x0 = FloatArray(c.size) { it - 1.5f }
            assertArrayEquals(c, sampler.sample(x0, sigmas, constant, PhiloxRng(1), never), 1e-5f, sampler.id)
        }
    }

    /**
     * Per step from σ to σ', the flow split (worked out here in double, independently of the sampler) is
     * σ_down = σ'²/σ, alpha = (1 − σ')/(1 − σ_down), σ_up² = σ'² − alpha²σ_down². The centred latent
     * x − (1 − σ)mu then scales by alpha·(r + (1 − r)·gain(σ)) with r = σ_down/σ and gains noise of variance σ_up²,
     * which predicts the final spread; the mean must come out at mu.
     */
    @Test
    fun `flow euler ancestral spreads samples as its variance recurrence predicts`() {
        val n = 20000
        val sigmas = flux.sigmas(30, ScheduleKind.DISCRETE)
        val noise = PhiloxRng(5).randn(n)
        val x0 = FloatArray(n) { noise[it] }
        val out = EulerAncestralFlow.sample(x0, sigmas, gaussian, PhiloxRng(6), never)
        var v = variance(sigmas[0].toDouble())
        for (i in 0 until 30) {
            val a = sigmas[i].toDouble()
            val b = sigmas[i + 1].toDouble()
            val down = b * b / a
            val alpha = (1 - b) / (1 - down)
            val up2 = b * b - alpha * alpha * down * down
            val r = down / a
            val f = alpha * (r + (1 - r) * gain(a))
            v = f * f * v + up2
        }
        val mean = out.average()
        val std = sqrt(out.sumOf { (it - mean) * (it - mean) } / n)
        assertEquals(mu, mean, 0.015)
        assertEquals(sqrt(v), std, 0.01)
        // The recurrence itself must differ from the ODE's answer (s) for the check above to see the noise.
        assertTrue(abs(sqrt(v) - s) > 0.02, "recurrence ${sqrt(v)} vs data spread $s")
    }

    @Test
    fun `the flow variant replaces only euler ancestral`() {
        assertSame(EulerAncestralFlow, EulerAncestral.forFlow())
        assertSame(Euler, Euler.forFlow())
        assertSame(DpmPlusPlus2M, DpmPlusPlus2M.forFlow())
        assertEquals("euler_a", EulerAncestralFlow.id)
        assertSame(EulerAncestral, Sampler.byName("euler_a"))
    }

    @Test
    fun `flow euler ancestral draws latent-sized noise once per step except the step to zero`() {
        val sizes = mutableListOf<Int>()
        val counting = object : NoiseRng {
            val inner = PhiloxRng(3)
            override fun randn(count: Int): FloatArray = inner.randn(count).also { sizes += count }
        }
        val sigmas = flux.sigmas(6, ScheduleKind.DISCRETE)
        EulerAncestralFlow.sample(start(sigmas[0]), sigmas, gaussian, counting, never)
        assertEquals(List(5) { 5 }, sizes)
    }

    /** The plain ancestral rule on flow levels would over-noise: its σ_up ignores the (1 − σ) data factor. */
    @Test
    fun `flow euler ancestral differs from the plain one on flow levels`() {
        val sigmas = flux.sigmas(6, ScheduleKind.DISCRETE)
        val x0 = start(sigmas[0])
        val flow = EulerAncestralFlow.sample(x0, sigmas, gaussian, PhiloxRng(2), never)
        val plain = EulerAncestral.sample(x0, sigmas, gaussian, PhiloxRng(2), never)
        assertTrue(flow.indices.any { abs(flow[it] - plain[it]) > 1e-3 })
    }
}
