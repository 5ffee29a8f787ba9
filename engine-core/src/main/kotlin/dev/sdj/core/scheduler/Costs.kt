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
 * Parameter bytes per component (as laid out in device buffers, and as uploaded: the tensors' own bytes), compute-buffer
 * bytes per phase ("text encoder", "unet", "vae decoder"), and what streaming the diffusion model's blocks would cost.
 */
data class Costs(
    val params: Map<ComponentKind, Long>,
    val compute: Map<String, Long>,
    val streaming: StreamCosts? = null,
    val uploads: Map<ComponentKind, Long> = params,
) {
    private fun p(kind: ComponentKind) = params[kind] ?: 0L
    private fun c(phase: String) = compute[phase] ?: 0L

    /** Every component on the device; one phase's compute buffer at a time. */
    val resident: Long get() = params.values.sum() + (compute.values.maxOrNull() ?: 0L)

    /** The text encoder with its compute, or the diffusion model and VAE with the larger of theirs. */
    val sequential: Long
        get() = maxOf(textPhase, p(ComponentKind.DIFFUSION_MODEL) + p(ComponentKind.VAE) + maxOf(c("unet"), c("vae decoder")))

    private val textPhase: Long get() = p(ComponentKind.TEXT_ENCODER) + c("text encoder")

    /** The VAE with its decoding buffer: under streaming, often the phase that sets the peak at real image sizes. */
    val decodePhase: Long get() = p(ComponentKind.VAE) + c("vae decoder")

    /**
     * Components one at a time, the diffusion model streamed with k resident blocks: the text encoder's phase, the
     * denoising phase (resident part, slots, the UNet's compute buffer), then the VAE's.
     */
    fun streamed(k: Int): Long {
        val s = streaming ?: throw IllegalStateException("the diffusion model has no streamable blocks")
        return maxOf(textPhase, s.denoisingBytes(k) + c("unet"), decodePhase)
    }

    /**
     * Whether the streamed diffusion model's resident part (core and k blocks) can stay on the device through the
     * text and decoding phases without raising the plan's peak: then later generations need not upload it again.
     */
    fun keepsResidentPart(k: Int): Boolean =
        streaming != null && maxOf(textPhase, decodePhase) + streaming.fixedBytes[k] <= streamed(k)

    /** The peak of a placement; for "streamed", its smallest (no block resident). */
    fun peak(placement: String): Long = when (placement) {
        "sequential" -> sequential
        "streamed" -> streamed(0)
        else -> resident
    }

    /** The smallest device budget any placement works in. */
    val smallest: Long get() = minOf(resident, sequential, if (streaming != null) streamed(0) else Long.MAX_VALUE)

    /** The costs left on the device when [kinds] run elsewhere (pinned to the CPU). */
    fun without(kinds: Set<ComponentKind>): Costs =
        Costs(params - kinds, compute - kinds.mapNotNull { PHASE[it] }.toSet(), streaming, uploads - kinds)

    companion object {
        val PHASE = mapOf(ComponentKind.TEXT_ENCODER to "text encoder", ComponentKind.DIFFUSION_MODEL to "unet", ComponentKind.VAE to "vae decoder")
    }
}
