package dev.sdj.core.graph

import dev.sdj.api.EngineException

/**
 * Values read back from a graph must be finite: a NaN or an infinity (NaN weights, an overflowing guidance scale or
 * emphasis) only spreads from there, and a full run would end in a garbage image.
 */
object FiniteValues {

    /** @param phase where the values come from, e.g. "denoising step 3 of 20" */
    fun require(values: FloatArray, phase: () -> String) {
        for (v in values) {
            if (!v.isFinite()) {
                throw EngineException("${if (v.isNaN()) "NaN" else "infinite"} values first appeared in ${phase()}: the model's " +
                    "weights, the guidance scale or the prompt's emphasis overflow")
            }
        }
    }
}
