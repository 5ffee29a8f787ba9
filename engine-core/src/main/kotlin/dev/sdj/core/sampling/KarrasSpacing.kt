package dev.sdj.core.sampling

import kotlin.math.pow

/** Karras et al. (2022) eq. 5 with rho 7, shared by the discrete and the flow schedules. */
internal object KarrasSpacing {
    private const val RHO = 7.0

    /** Fills out[0 until steps] (steps >= 2) evenly in sigma^(1/rho) from [max] down to [min]. */
    fun fill(out: FloatArray, steps: Int, min: Float, max: Float) {
        val minInv = min.toDouble().pow(1 / RHO)
        val maxInv = max.toDouble().pow(1 / RHO)
        for (i in 0 until steps) {
            val ramp = i.toDouble() / (steps - 1)
            out[i] = (maxInv + ramp * (minInv - maxInv)).pow(RHO).toFloat()
        }
    }
}
