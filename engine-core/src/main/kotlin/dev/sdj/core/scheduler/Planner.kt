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
     * @param residentBlocks    for "streamed": per stream of the costs, how many of its blocks stay resident
     * @param keepsResidentPart for "streamed": the resident parts stay on the device between generations
     */
    data class Choice(val placement: String, val peak: Long, val budget: Long, val why: String, val residentBlocks: List<Int>? = null,
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
        return Choice("streamed", costs.streamed(k), budget, streamWhy(costs, k, budget, short), k, costs.keepsResidentParts(k))
    }

    private fun forcedChoice(costs: Costs, budget: Long, forced: String): Choice {
        if (forced == "streamed") {
            if (costs.streams.isEmpty()) throw InvalidRequestException("this model has no blocks to stream")
            val k = largestResident(costs, budget) ?: throw overBudget(costs, budget, "streamed", costs.peak("streamed"))
            val instead = listOf("resident" to costs.resident, "sequential" to costs.sequential).firstOrNull { it.second <= budget }
            val why = if (instead != null) {
                "requested; ${instead.first} (${mib(instead.second)}) would fit too and would not upload blocks every step"
            } else {
                "requested; " + streamWhy(costs, k, budget, null)
            }
            return Choice("streamed", costs.streamed(k), budget, why, k, costs.keepsResidentParts(k))
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
    fun smallestHint(costs: Costs): String? = peakHint(costs, costs.residency(smallestPlacement(costs)))

    private fun smallestPlacement(costs: Costs): String = ORDER.filter { it != "streamed" || costs.streams.isNotEmpty() }.minBy { costs.peak(it) }

    fun smallestName(costs: Costs): String = smallestPlacement(costs).let { if (it == "streamed") "streamed, every block streamed" else it }

    /**
     * Per stream, the most resident blocks with which its phase fits (each stream changes only its own phase), or
     * null when even streaming every block does not fit.
     */
    private fun largestResident(costs: Costs, budget: Long): List<Int>? {
        if (costs.streams.isEmpty()) return null
        val none = costs.noneResident
        val k = costs.streams.mapIndexed { j, s ->
            (s.costs.blocks - 1 downTo 0).firstOrNull { kj ->
                costs.streamedResidency(none.toMutableList().also { it[j] = kj }).own(s.phase) <= budget
            } ?: 0
        }
        return k.takeIf { costs.streamed(it) <= budget }
    }

    private fun streamWhy(costs: Costs, k: List<Int>, budget: Long, short: String?): String {
        val parts = ArrayList<String>()
        if (short != null) parts.add("sequential needs ${mib(costs.sequential)}")
        for ((j, stream) in costs.streams.withIndex()) {
            val s = stream.costs
            val kj = k[j]
            val streamed = s.blocks - kj
            parts.add("$kj of ${s.blocks} ${stream.component.label} blocks stay resident, $streamed ${if (streamed == 1) "streams" else "stream"} through " +
                "${s.slots(kj)} ${if (s.slots(kj) == 1) "slot" else "slots"} " +
                "(${mib(s.streamedBytes[kj])} uploaded per evaluation)")
            if (kj + 1 < s.blocks) {
                val more = costs.streamedResidency(k.toMutableList().also { it[j] = kj + 1 }).own(stream.phase) - budget
                parts.add("with ${mib(more)} more one more ${stream.component.label} block would stay resident")
            }
        }
        if (k.withIndex().all { (j, kj) -> kj + 1 >= costs.streams[j].costs.blocks }) parts.add("with ${mib(costs.sequential - budget)} more nothing would stream")
        if (costs.keepsResidentParts(k)) parts.add("the resident ${if (k.size == 1) "part stays" else "parts stay"} on the device between generations")
        peakHint(costs, costs.streamedResidency(k))?.let { parts.add(it) }
        return parts.joinToString("; ")
    }

    fun mib(bytes: Long): String = String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / 1048576.0)
}
