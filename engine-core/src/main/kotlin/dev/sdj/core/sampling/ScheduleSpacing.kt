package dev.sdj.core.sampling

import kotlin.math.pow

/**
 * How the discrete and the flow schedules pick a run's noise levels: `steps + 1` values from the largest level down,
 * the last 0, one step going from the largest straight to 0. DISCRETE spaces training timesteps evenly from the last
 * to 0; KARRAS spaces sigma^(1/7) evenly between the schedule's extremes (Karras et al. 2022, eq. 5).
 */
internal object ScheduleSpacing {
    private const val RHO = 7.0

    /** @param sigmaAt the schedule's level at a fractional timestep (the last one's t may round a hair below 0) */
    fun sigmas(steps: Int, kind: ScheduleKind, timesteps: Int, sigmaMin: Float, sigmaMax: Float, sigmaAt: (Float) -> Float): FloatArray {
        require(steps >= 1) { "steps must be at least 1: $steps" }
        val out = FloatArray(steps + 1)
        if (steps == 1) {
            out[0] = sigmaMax
            return out
        }
        when (kind) {
            ScheduleKind.DISCRETE -> {
                val tMax = (timesteps - 1).toFloat()
                val stride = tMax / (steps - 1)
                for (i in 0 until steps) out[i] = sigmaAt(tMax - stride * i)
            }
            ScheduleKind.KARRAS -> {
                val minInv = sigmaMin.toDouble().pow(1 / RHO)
                val maxInv = sigmaMax.toDouble().pow(1 / RHO)
                for (i in 0 until steps) {
                    val ramp = i.toDouble() / (steps - 1)
                    out[i] = (maxInv + ramp * (minInv - maxInv)).pow(RHO).toFloat()
                }
            }
        }
        return out
    }
}
