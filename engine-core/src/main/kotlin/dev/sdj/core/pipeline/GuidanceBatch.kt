package dev.sdj.core.pipeline

import dev.sdj.api.GenerationRequest

/**
 * How many prompts one evaluation of the diffusion model takes under classifier-free guidance: both (the prompt and
 * the negative prompt as a batch of two) when the request's cfg batch is "on", one otherwise. The engine resolves
 * "auto" to "on" or "off" before planning and running ([dev.sdj.core.engine.PlacementDecider]), so phases and the
 * planner read the same answer; an unresolved "auto" evaluates one prompt at a time, as before batching existed.
 */
object GuidanceBatch {
    fun of(request: GenerationRequest): Int = if (request.cfgBatch() == ON && guided(request)) 2 else 1

    /** Whether [pipeline] could batch [request]'s guidance: it has guidance and the family's diffusion model batches it. */
    fun applies(pipeline: GenerationPipeline, request: GenerationRequest): Boolean = pipeline.batchesGuidance && guided(request)

    private fun guided(request: GenerationRequest) = request.cfgScale() != 1.0

    const val ON = "on"
    const val OFF = "off"
    const val AUTO = "auto"
}
