package dev.sdj.core.sampling

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** What every sampler promises its caller: progress, cancellation, input checks, the registry. */
class SamplerContractTest {
    private val sigmas = DiscreteSchedule.STABLE_DIFFUSION.sigmas(6, ScheduleKind.KARRAS)
    private val half = Denoiser { x, _ -> FloatArray(x.size) { x[it] * 0.5f } }
    private val never: (Int, Int) -> Boolean = { _, _ -> true }

    /** Every sampler that can run: those chosen by name and their flow-matching variants. */
    private val samplers = (Sampler.ALL + Sampler.ALL.map { it.forFlow() }).distinct()

    @Test
    fun `progress reports every step with the total`() {
        for (sampler in samplers) {
            val seen = mutableListOf<Pair<Int, Int>>()
            sampler.sample(floatArrayOf(1f, 2f), sigmas, half, PhiloxRng(0)) { step, total -> seen += step to total; true }
            assertEquals((1..6).map { it to 6 }, seen, sampler.id)
        }
    }

    @Test
    fun `returning false cancels before the next model call`() {
        for (sampler in samplers) {
            var calls = 0
            val counting = Denoiser { x, s -> calls++; half.denoise(x, s) }
            val e = assertThrows(CancelledException::class.java) {
                sampler.sample(floatArrayOf(1f, 2f), sigmas, counting, PhiloxRng(0)) { step, _ -> step < 3 }
            }
            assertEquals(3, calls, sampler.id)
            assertEquals(3, e.completedSteps)
            assertEquals(6, e.totalSteps)
        }
    }

    @Test
    fun `the starting latent is left untouched`() {
        for (sampler in samplers) {
            val x0 = floatArrayOf(1f, -2f, 3f)
            sampler.sample(x0, sigmas, half, PhiloxRng(0), never)
            assertArrayEquals(floatArrayOf(1f, -2f, 3f), x0, sampler.id)
        }
    }

    @Test
    fun `a single noise level means no steps`() {
        for (sampler in samplers) {
            val out = sampler.sample(floatArrayOf(1f, 2f), floatArrayOf(3f), { _, _ -> throw AssertionError() }, PhiloxRng(0), never)
            assertArrayEquals(floatArrayOf(1f, 2f), out)
        }
    }

    @Test
    fun `bad noise levels and bad model output are refused`() {
        for (sampler in samplers) {
            for (bad in listOf(floatArrayOf(), floatArrayOf(2f, 0f, 0f), floatArrayOf(2f, Float.NaN), floatArrayOf(2f, -1f), floatArrayOf(1f, 2f, 0f), floatArrayOf(2f, 2f, 0f))) {
                assertThrows(IllegalArgumentException::class.java) { sampler.sample(floatArrayOf(1f), bad, half, PhiloxRng(0), never) }
            }
            val short = Denoiser { _, _ -> FloatArray(1) }
            assertThrows(IllegalStateException::class.java) { sampler.sample(floatArrayOf(1f, 2f), sigmas, short, PhiloxRng(0), never) }
        }
    }

    @Test
    fun `samplers are found by name`() {
        assertSame(Euler, Sampler.byName("euler"))
        assertSame(EulerAncestral, Sampler.byName("euler_a"))
        assertSame(DpmPlusPlus2M, Sampler.byName("dpm++2m"))
        assertSame(DpmPlusPlus2M, Sampler.byName(" DPM++2M "))
        val e = assertThrows(IllegalArgumentException::class.java) { Sampler.byName("heun") }
        assertTrue(e.message!!.contains("'heun'") && e.message!!.contains("euler, euler_a, dpm++2m"), e.message)
    }

    @Test
    fun `eps and v predictions convert to the clean latent`() {
        val data = floatArrayOf(0.4f, -1.2f, 2f)
        val noise = floatArrayOf(1.1f, 0.3f, -0.7f)
        for (sigma in listOf(0.03f, 1f, 14.6f)) {
            val x = FloatArray(3) { data[it] + sigma * noise[it] }
            assertArrayEquals(data, Prediction.epsToDenoised(x, noise, sigma), 2e-5f * sigma + 1e-6f)
            // diffusers' v target on the variance-preserving latent alpha·data + sigmaVp·noise.
            val alpha = Prediction.inputScale(sigma)
            val sigmaVp = sigma * alpha
            val v = FloatArray(3) { alpha * noise[it] - sigmaVp * data[it] }
            assertArrayEquals(data, Prediction.vToDenoised(x, v, sigma), 1e-5f)
        }
        assertEquals(1 / Math.sqrt(5.0).toFloat(), Prediction.inputScale(2f), 1e-7f)
        assertThrows(IllegalArgumentException::class.java) { Prediction.epsToDenoised(FloatArray(2), FloatArray(3), 1f) }
    }
}
