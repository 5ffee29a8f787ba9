package dev.sdj.core.scheduler

import dev.sdj.api.InvalidRequestException

/**
 * Chooses the placement for a device budget, fastest first: everything resident (nothing reloads between
 * generations), else sequential component load (each phase's components loaded for it, what fits beside them kept), else the
 * diffusion model streamed block by block with as many blocks resident as fit (the more resident, the less each step
 * uploads). When nothing fits the caller may fall back to the CPU.
 */
object Planner {
    val ORDER = listOf("resident", "sequential", "streamed")

    /**
     * @param residentBlocks    for "streamed": how many of the diffusion model's blocks stay resident
     * @param keepsResidentPart for "streamed": the resident part stays on the device between generations
     */
    data class Choice(val placement: String, val peak: Long, val budget: Long, val why: String, val residentBlocks: Int? = null,
                      val keepsResidentPart: Boolean = false)

    /** @return null when no placement fits (the caller may fall back to the CPU); throws when a forced one does not */
    fun choose(costs: Costs, budget: Long, forced: String?): Choice? {
        if (forced != null && forced != "auto") return forcedChoice(costs, budget, forced)
        if (costs.resident <= budget) {
            return Choice("resident", costs.resident, budget, "everything fits in the budget, so nothing reloads between generations")
        }
        val short = "all resident needs ${mib(costs.resident)}; with ${mib(costs.resident - budget)} more everything would stay resident"
        if (costs.sequential <= budget) return Choice("sequential", costs.sequential, budget, short)
        val k = largestResident(costs, budget) ?: return null
        return Choice("streamed", costs.streamed(k), budget, streamWhy(costs, k, budget, short), k, costs.keepsResidentPart(k))
    }

    private fun forcedChoice(costs: Costs, budget: Long, forced: String): Choice {
        if (forced == "streamed") {
            if (costs.streaming == null) throw InvalidRequestException("this model's diffusion model has no blocks to stream")
            val k = largestResident(costs, budget) ?: throw overBudget(costs, budget, "streamed", costs.streamed(0))
            val instead = listOf("resident" to costs.resident, "sequential" to costs.sequential).firstOrNull { it.second <= budget }
            val why = if (instead != null) {
                "requested; ${instead.first} (${mib(instead.second)}) would fit too and would not upload blocks every step"
            } else {
                "requested; " + streamWhy(costs, k, budget, null)
            }
            return Choice("streamed", costs.streamed(k), budget, why, k, costs.keepsResidentPart(k))
        }
        val peak = costs.peak(forced)
        if (peak > budget) throw overBudget(costs, budget, forced, peak)
        val why = if (forced == "sequential" && costs.resident <= budget) {
            "requested; resident (${mib(costs.resident)}) would fit too and would not reload the weights every generation"
        } else {
            "requested"
        }
        return Choice(forced, peak, budget, why)
    }

    private fun overBudget(costs: Costs, budget: Long, placement: String, peak: Long) =
        InvalidRequestException("the $placement placement needs ${mib(peak)} on the device but the budget is ${mib(budget)}; " +
            "the smallest budget that works is ${mib(costs.smallest)} (${smallestName(costs)})" +
            (smallestHint(costs)?.let { "; $it" } ?: ""))

    /** When one phase alone sets a placement's peak and the family knows what lowers it, that. */
    fun peakHint(costs: Costs, residency: Residency): String? = costs.peakSetter(residency)?.let { p ->
        "the ${p.label} phase (${mib(residency.peak)} with its compute buffer) sets this peak: ${p.peakLever}"
    }

    /** [peakHint] for the placement with the smallest peak. */
    fun smallestHint(costs: Costs): String? = peakHint(costs, costs.residency(smallestPlacement(costs), 0))

    private fun smallestPlacement(costs: Costs): String = ORDER.filter { it != "streamed" || costs.streaming != null }.minBy { costs.peak(it) }

    fun smallestName(costs: Costs): String = smallestPlacement(costs).let { if (it == "streamed") "streamed, every block streamed" else it }

    /** The most resident blocks with which streaming fits, or null when even streaming every block does not. */
    private fun largestResident(costs: Costs, budget: Long): Int? {
        val s = costs.streaming ?: return null
        return (s.blocks - 1 downTo 0).firstOrNull { costs.streamed(it) <= budget }
    }

    private fun streamWhy(costs: Costs, k: Int, budget: Long, short: String?): String {
        val s = costs.streaming!!
        val parts = ArrayList<String>()
        if (short != null) parts.add("sequential needs ${mib(costs.sequential)}")
        val streamed = s.blocks - k
        parts.add("$k of ${s.blocks} diffusion-model blocks stay resident, $streamed ${if (streamed == 1) "streams" else "stream"} through " +
            "${s.slots(k)} ${if (s.slots(k) == 1) "slot" else "slots"} " +
            "(${mib(s.streamedBytes[k])} uploaded per model evaluation)")
        if (k + 1 < s.blocks) parts.add("with ${mib(costs.streamed(k + 1) - budget)} more one more block would stay resident")
        else parts.add("with ${mib(costs.sequential - budget)} more nothing would stream")
        if (costs.keepsResidentPart(k)) parts.add("the resident part stays on the device between generations")
        peakHint(costs, costs.streamedResidency(k))?.let { parts.add(it) }
        return parts.joinToString("; ")
    }

    fun mib(bytes: Long): String = String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
}
