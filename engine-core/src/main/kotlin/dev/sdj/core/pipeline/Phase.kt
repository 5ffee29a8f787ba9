package dev.sdj.core.pipeline

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.model.ComponentKind
import dev.sdj.ggml.Tensor

/**
 * One step of a family's generation as the engine runs it: the components whose weights it reads, the graphs it
 * compiles, and the work. The engine loads the components before it runs and decides, from the placement, what else
 * stays on the device meanwhile; the phase never knows where its weights live.
 */
interface Phase {
    /** What progress reports and plans call it, e.g. "text encoding", "denoising". */
    val label: String

    /** The components its graphs read; each is on its device before [run]. */
    val components: List<ComponentKind>

    /**
     * The graphs [run] compiles for [request], built over [weights] (placeholders while measuring): the engine
     * measures their compute buffers before anything loads. Graphs of one phase live at the same time.
     */
    fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph>

    /**
     * What the phase's output depends on besides its weights, when a later request with the same key may reuse it
     * (the prompts a text encoder encodes, the digest of the image an encoder encodes, from [files]); null: it is
     * computed every time.
     */
    fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String? = null

    /** What lowers this phase's device memory when it sets a placement's peak, said in the plan; null: nothing to say. */
    val peakLever: String? get() = null

    /**
     * Whether [request] needs this phase (image encoding only when it starts from an image): a phase it skips reads
     * nothing, measures nothing and leaves null among the results the later phases see.
     */
    fun runsFor(request: GenerationRequest): Boolean = true

    /** Runs the phase; its result is opaque to the engine, which hands it to the later phases. */
    fun run(run: PhaseRun): Any
}

/** A graph a phase compiles under [key] with room for [maxNodes]; [build] is the same for measuring and running. */
class PhaseGraph(val key: GraphKey, val build: (CompiledGraph.Builder) -> Tensor, val maxNodes: Int = CompiledGraph.DEFAULT_NODES)

/**
 * What a phase runs with: the request, its components' weights, the session to compile and compute in, and the
 * results of the phases before it (by index in the pipeline; those of later phases are null). [batchSeed] is the seed
 * of the batch's first image (the request's own outside a batch): stable-diffusion.cpp seeds its rng with it once per
 * batch, for what it draws before the first image's noise (an init image's latent).
 */
class PhaseRun(
    val request: GenerationRequest,
    val weights: (ComponentKind) -> Weights,
    val session: GraphSession,
    val progress: ProgressListener,
    val cancel: CancellationToken,
    val earlier: List<Any?>,
    val batchSeed: Long = request.seed(),
)
