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
 * @param patchedCopyBytes the device bytes of the LoRA-patched copies of the streamed blocks' tensors at each k, where
 *   the copies are made in the device's own memory (the CPU, which has no host buffer of its own); else 0
 */
data class StreamCosts(
    val blockNames: List<String>,
    val residentSets: List<Set<String>>,
    val fixedBytes: List<Long>,
    val slotBytes: List<Long>,
    val streamedBytes: List<Long>,
    val fixedUploadBytes: List<Long>,
    val patchedCopyBytes: List<Long> = residentSets.map { 0L },
) {
    val blocks: Int get() = blockNames.size

    /** The streamed blocks at k, in execution order. */
    fun streamedNames(k: Int): List<String> = blockNames.filter { it !in residentSets[k] }

    /** Two slots let the next block upload while one computes; with one block streamed there is nothing to overlap. */
    fun slots(k: Int): Int = minOf(SLOTS, blocks - k)

    /** Device bytes of the diffusion model's parameters while it denoises with k resident blocks. */
    fun denoisingBytes(k: Int): Long = fixedBytes[k] + streamingBytes(k)

    /** What streaming adds to its phase's memory besides the resident part: the slots and the patched copies. */
    fun streamingBytes(k: Int): Long = slots(k) * slotBytes[k] + patchedCopyBytes[k]

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

/** A component whose [phase] can run it streamed block by block, and what that costs at each number of resident blocks. */
data class Stream(val component: ComponentKind, val phase: Int, val costs: StreamCosts)

/**
 * A pipeline's costs on one device: parameter bytes per component (as laid out in device buffers, and as uploaded:
 * the tensors' own bytes), each phase's components and compute buffers, and what streaming each of [streams] would
 * cost. Every placement's peak follows from these through its [Residency].
 *
 * A streamed placement gives each stream a number of resident blocks (one per stream, in [streams]' order). Each
 * stream sits in a phase of its own and appears in no other phase's needs, so its number changes only that phase's
 * memory: the planner chooses them one stream at a time.
 *
 * @param denoiserPhase the phase that runs the diffusion model: sequential loads it and the phases after it together
 */
data class Costs(
    val params: Map<ComponentKind, Long>,
    val phases: List<PhaseCost>,
    val denoiserPhase: Int,
    val streams: List<Stream> = emptyList(),
    val uploads: Map<ComponentKind, Long> = params,
    /** Parameter bytes read in place from mapped model files, by component: in neither [params] nor [uploads]. */
    val mapped: Map<ComponentKind, Long> = emptyMap(),
) {
    init {
        require(streams.map { it.phase }.distinct().size == streams.size) { "at most one streamed component per phase" }
    }

    /** Compute-buffer bytes by graph name, over all phases. */
    val compute: Map<String, Long> get() = phases.flatMap { it.graphs.entries }.associate { it.key to it.value }

    /** The stream of the diffusion model's phase, or null when it loads whole. */
    val denoiserStream: Stream? get() = streams.firstOrNull { it.phase == denoiserPhase }

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

    /**
     * Each phase alone, every streamed component present as its resident part ([k] blocks, per stream), its phase
     * holding the stream slots too.
     */
    fun streamedResidency(k: List<Int>): Residency {
        check(streams.isNotEmpty()) { "the model has no streamable blocks" }
        require(k.size == streams.size) { "one number of resident blocks per stream: $k for ${streams.size}" }
        val compute = phases.mapIndexed { i, p ->
            val j = streams.indexOfFirst { it.phase == i }
            if (j < 0) p.compute else p.compute + streams[j].costs.streamingBytes(k[j])
        }
        val parts = streams.withIndex().associate { (j, s) -> s.component to s.costs.fixedBytes[k[j]] }
        return Residency(phases.map { it.components }, params + parts, compute)
    }

    /** No block resident in any stream: the streamed placement's smallest peak. */
    val noneResident: List<Int> get() = streams.map { 0 }

    fun residency(placement: String, k: List<Int>? = null): Residency = when (placement) {
        "resident" -> residentResidency()
        "sequential" -> sequentialResidency()
        else -> streamedResidency(k ?: noneResident)
    }

    val resident: Long get() = residentResidency().peak

    val sequential: Long get() = sequentialResidency().peak

    fun streamed(k: List<Int>): Long = streamedResidency(k).peak

    /**
     * Whether every streamed component's resident part stays on the device through every phase without raising the
     * plan's peak: then later generations need not upload it again.
     */
    fun keepsResidentParts(k: List<Int>): Boolean =
        streams.isNotEmpty() && streamedResidency(k).let { r -> streams.all { r.staysThroughout(it.component) } }

    /** The peak of a placement; for "streamed", its smallest (no block resident). */
    fun peak(placement: String): Long = when (placement) {
        "sequential" -> sequential
        "streamed" -> streamed(noneResident)
        else -> resident
    }

    /** The smallest device budget any placement works in. */
    val smallest: Long get() = minOf(resident, sequential, if (streams.isNotEmpty()) streamed(noneResident) else Long.MAX_VALUE)

    /**
     * A phase other than the diffusion model's that alone sets [peak], with what would lower it; null when there is
     * none. A streamed conditioning phase counts: running its component on the CPU lowers even its smallest peak.
     */
    fun peakSetter(residency: Residency): PhaseCost? = phases.indices
        .firstOrNull { i -> i != denoiserPhase && residency.own(i) == residency.peak && phases[i].peakLever != null }
        ?.let { phases[it] }

    /**
     * The costs left on the device when [kinds] run on the CPU: their parameters, the phases that only read them, and
     * their streams (a component on the CPU runs whole).
     */
    fun without(kinds: Set<ComponentKind>): Costs = copy(
        params = params - kinds,
        phases = phases.map { p ->
            if (p.components.isNotEmpty() && p.components.all { it in kinds }) p.copy(components = emptySet(), graphs = emptyMap())
            else p.copy(components = p.components - kinds)
        },
        streams = streams.filter { it.component !in kinds },
        uploads = uploads - kinds,
        mapped = mapped - kinds,
    )
}
