package dev.sdj.core.scheduler

import dev.sdj.core.model.ComponentKind

/**
 * What streaming the diffusion model costs with k of its n blocks resident, for k = 0 … n − 1 (index k): the
 * largest blocks are the ones kept, which also keeps the slots small.
 *
 * @param blockNames    the blocks in execution order
 * @param residentSets  the blocks kept resident at each k
 * @param fixedBytes    the core and resident blocks' device bytes at each k
 * @param slotBytes     one stream slot (the largest streamed block) at each k
 * @param streamedBytes the bytes one pass over the streamed blocks uploads at each k
 * @param fixedUploadBytes the bytes loading the core and resident blocks uploads at each k
 */
data class StreamCosts(
    val blockNames: List<String>,
    val residentSets: List<Set<String>>,
    val fixedBytes: List<Long>,
    val slotBytes: List<Long>,
    val streamedBytes: List<Long>,
    val fixedUploadBytes: List<Long>,
) {
    val blocks: Int get() = blockNames.size

    /** The streamed blocks at k, in execution order. */
    fun streamedNames(k: Int): List<String> = blockNames.filter { it !in residentSets[k] }

    /** Two slots let the next block upload while one computes; with one block streamed there is nothing to overlap. */
    fun slots(k: Int): Int = minOf(SLOTS, blocks - k)

    /** Device bytes of the diffusion model's parameters while it denoises with k resident blocks. */
    fun denoisingBytes(k: Int): Long = fixedBytes[k] + slots(k) * slotBytes[k]

    companion object {
        const val SLOTS = 2
    }
}

/**
 * One phase as the planner sees it: the components it reads that live on the device, and the compute buffers of its
 * graphs there, by graph name (none when the phase runs on the CPU).
 */
data class PhaseCost(val label: String, val components: Set<ComponentKind>, val graphs: Map<String, Long>, val peakLever: String? = null) {
    val compute: Long get() = graphs.values.sum()
}

/**
 * A pipeline's costs on one device: parameter bytes per component (as laid out in device buffers, and as uploaded:
 * the tensors' own bytes), each phase's components and compute buffers, and what streaming the [streamed] component's
 * blocks would cost. Every placement's peak follows from these through its [Residency].
 *
 * @param denoiserPhase the phase that runs the diffusion model: sequential loads it and the phases after it together
 */
data class Costs(
    val params: Map<ComponentKind, Long>,
    val phases: List<PhaseCost>,
    val denoiserPhase: Int,
    val streamed: ComponentKind? = null,
    val streaming: StreamCosts? = null,
    val uploads: Map<ComponentKind, Long> = params,
    /** Parameter bytes read in place from mapped model files, by component: in neither [params] nor [uploads]. */
    val mapped: Map<ComponentKind, Long> = emptyMap(),
) {
    /** Compute-buffer bytes by graph name, over all phases. */
    val compute: Map<String, Long> get() = phases.flatMap { it.graphs.entries }.associate { it.key to it.value }

    /** Every component on the device throughout; one phase's compute buffer at a time. */
    fun residentResidency(): Residency = Residency(phases.map { params.keys }, params, phases.map { it.compute })

    /**
     * The conditioning phases one at a time, then the diffusion model with what follows it (the VAE): peak ≈
     * max(encoder, diffusion model + VAE), and a repeated prompt reloads nothing. Whatever else fits is kept.
     */
    fun sequentialResidency(): Residency {
        val generation = phases.drop(denoiserPhase).flatMap { it.components }.toSet()
        return Residency(phases.mapIndexed { i, p -> if (i < denoiserPhase) p.components else generation }, params, phases.map { it.compute })
    }

    /** As sequential, the streamed component present as its resident part, its phase holding the stream slots too. */
    fun streamedResidency(k: Int): Residency {
        val s = streaming ?: throw IllegalStateException("the diffusion model has no streamable blocks")
        val kind = streamed!!
        val compute = phases.mapIndexed { i, p -> if (i == denoiserPhase) p.compute + s.slots(k) * s.slotBytes[k] else p.compute }
        return Residency(phases.map { it.components }, params + (kind to s.fixedBytes[k]), compute)
    }

    fun residency(placement: String, k: Int? = null): Residency = when (placement) {
        "resident" -> residentResidency()
        "sequential" -> sequentialResidency()
        else -> streamedResidency(k ?: 0)
    }

    val resident: Long get() = residentResidency().peak

    val sequential: Long get() = sequentialResidency().peak

    fun streamed(k: Int): Long = streamedResidency(k).peak

    /**
     * Whether the streamed component's resident part (core and k blocks) stays on the device through every phase
     * without raising the plan's peak: then later generations need not upload it again.
     */
    fun keepsResidentPart(k: Int): Boolean = streaming != null && streamedResidency(k).staysThroughout(streamed!!)

    /** The peak of a placement; for "streamed", its smallest (no block resident). */
    fun peak(placement: String): Long = when (placement) {
        "sequential" -> sequential
        "streamed" -> streamed(0)
        else -> resident
    }

    /** The smallest device budget any placement works in. */
    val smallest: Long get() = minOf(resident, sequential, if (streaming != null) streamed(0) else Long.MAX_VALUE)

    /** A phase other than the streamed one that alone sets [peak], with what would lower it; null when there is none. */
    fun peakSetter(residency: Residency): PhaseCost? = phases.indices
        .firstOrNull { it != denoiserPhase && residency.own(it) == residency.peak && phases[it].peakLever != null }?.let { phases[it] }

    /** The costs left on the device when [kinds] run on the CPU: their parameters, and the phases that only read them. */
    fun without(kinds: Set<ComponentKind>): Costs = copy(
        params = params - kinds,
        phases = phases.map { p ->
            if (p.components.isNotEmpty() && p.components.all { it in kinds }) p.copy(components = emptySet(), graphs = emptyMap())
            else p.copy(components = p.components - kinds)
        },
        uploads = uploads - kinds,
        mapped = mapped - kinds,
    )
}
