package dev.sdj.core.sampling

import kotlin.math.ceil
import kotlin.math.exp
import kotlin.math.floor
import kotlin.math.ln
import kotlin.math.sqrt

/**
 * The discrete-time noise schedule of the LDM / Stable Diffusion family, seen as k-diffusion sees
 * it: each training timestep t has a noise level sigma(t) = sqrt((1 - ᾱ_t) / ᾱ_t), and fractional
 * timesteps interpolate log sigma linearly.
 *
 * ᾱ is accumulated in double, as the original LDM code does before storing float32 buffers (which
 * k-diffusion then reads); stable-diffusion.cpp accumulates in float and lands about 1e-6 relative
 * away (sigma max 14.614656 there against 14.614641 here).
 */
class DiscreteSchedule private constructor(private val alphasCumprod: DoubleArray) {
    private val logSigmas = DoubleArray(alphasCumprod.size) { 0.5 * ln((1 - alphasCumprod[it]) / alphasCumprod[it]) }

    /** Number of training timesteps; valid t run from 0 to `timesteps - 1`. */
    val timesteps: Int get() = alphasCumprod.size

    /** The smallest noise level, sigma(0). */
    val sigmaMin: Float get() = sigmaAt(0)

    /** The largest noise level, sigma(timesteps - 1). */
    val sigmaMax: Float get() = sigmaAt(timesteps - 1)

    /** ᾱ at integer timestep [t]. */
    fun alphaCumprod(t: Int): Float {
        checkIndex(t)
        return alphasCumprod[t].toFloat()
    }

    /** sigma at integer timestep [t]. */
    fun sigmaAt(t: Int): Float {
        checkIndex(t)
        return exp(logSigmas[t]).toFloat()
    }

    /** sigma at a fractional timestep: log sigma interpolated linearly between neighbours. */
    fun tToSigma(t: Float): Float {
        require(t >= 0f && t <= timesteps - 1) { "timestep $t is outside 0..${timesteps - 1}" }
        val low = floor(t).toInt()
        val high = ceil(t).toInt()
        val w = t - low
        return exp((1 - w) * logSigmas[low] + w * logSigmas[high]).toFloat()
    }

    /**
     * The fractional timestep whose interpolated sigma is [sigma]: the inverse of [tToSigma],
     * clamped to 0..timesteps-1 for sigmas outside the schedule (0 maps to timestep 0).
     */
    fun sigmaToT(sigma: Float): Float {
        require(sigma >= 0f) { "sigma must be a non-negative number: $sigma" }
        val logSigma = ln(sigma.toDouble())
        // logSigmas ascend, so the count of those <= logSigma, less one, is the lower neighbour.
        val low = (logSigmas.count { it <= logSigma } - 1).coerceIn(0, timesteps - 2)
        val w = ((logSigmas[low] - logSigma) / (logSigmas[low] - logSigmas[low + 1])).coerceIn(0.0, 1.0)
        return ((1 - w) * low + w * (low + 1)).toFloat()
    }

    /**
     * The noise levels of a [steps]-step run, from high to low, with a final 0 appended
     * (so `steps + 1` values): the sampler steps from each level to the next.
     */
    fun sigmas(steps: Int, kind: ScheduleKind): FloatArray =
        // stride * (steps - 1) can round past tMax and make the last t a hair below 0 (steps = 22 does); clamp
        // rather than step outside the table.
        ScheduleSpacing.sigmas(steps, kind, timesteps, sigmaMin, sigmaMax) { t -> tToSigma(maxOf(t, 0f)) }

    private fun checkIndex(t: Int) = require(t in 0 until timesteps) { "timestep $t is outside 0..${timesteps - 1}" }

    companion object {
        /**
         * The "scaled linear" schedule: betas evenly spaced in sqrt(beta) from [betaStart] to [betaEnd]
         * over [timesteps] steps, ᾱ_t = Π_{s<=t} (1 - beta_s).
         */
        fun scaledLinear(betaStart: Double, betaEnd: Double, timesteps: Int): DiscreteSchedule {
            require(timesteps >= 2) { "timesteps must be at least 2: $timesteps" }
            require(betaStart > 0 && betaEnd < 1 && betaStart <= betaEnd) { "betas must satisfy 0 < start <= end < 1: $betaStart, $betaEnd" }
            val from = sqrt(betaStart)
            val to = sqrt(betaEnd)
            var product = 1.0
            val ac = DoubleArray(timesteps) {
                val root = from + (to - from) * it / (timesteps - 1)
                product *= 1 - root * root
                product
            }
            return DiscreteSchedule(ac)
        }

        /** SD 1.x / 2.x / SDXL: scaled linear from 0.00085 to 0.012 over 1000 steps. */
        val STABLE_DIFFUSION: DiscreteSchedule = scaledLinear(0.00085, 0.012, 1000)
    }
}
