package dev.sdj.core.scheduler

import dev.sdj.api.InvalidRequestException

/**
 * Chooses the placement for a device budget, fastest first: everything resident (nothing reloads between
 * generations), else sequential component load (the text encoder and the diffusion model take turns). Block
 * streaming is not built yet, so a budget below the sequential peak has no device plan.
 */
object Planner {
    val ORDER = listOf("resident", "sequential")

    data class Choice(val placement: String, val peak: Long, val budget: Long, val why: String)

    /** @return null when no placement fits (the caller may fall back to the CPU); throws when a forced one does not */
    fun choose(costs: Costs, budget: Long, forced: String?): Choice? {
        if (forced != null && forced != "auto") {
            val peak = costs.peak(forced)
            if (peak > budget) {
                throw InvalidRequestException("the $forced placement needs ${mib(peak)} on the device but the budget is ${mib(budget)}; " +
                    "the smallest budget that works is ${mib(costs.sequential.coerceAtMost(costs.resident))} (sequential)")
            }
            val why = if (forced == "sequential" && costs.resident <= budget) {
                "requested; resident (${mib(costs.resident)}) would fit too and would not reload the weights every generation"
            } else {
                "requested"
            }
            return Choice(forced, peak, budget, why)
        }
        for (p in ORDER) {
            val peak = costs.peak(p)
            if (peak <= budget) {
                val why = if (p == "resident") "everything fits in the budget, so nothing reloads between generations"
                else "all resident needs ${mib(costs.resident)}; with ${mib(costs.resident - budget)} more everything would stay resident"
                return Choice(p, peak, budget, why)
            }
        }
        return null
    }

    fun mib(bytes: Long): String = String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
}
