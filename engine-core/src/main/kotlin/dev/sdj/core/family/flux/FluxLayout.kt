package dev.sdj.core.family.flux

import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/** Two linear layers with SiLU between them: how Flux embeds the timestep, the guidance and the pooled text vector. */
class MlpEmbedder(val inLayer: Projection, val outLayer: Projection)

/** Modulation of one normalised input: (1 + scale)·x + shift, and the gate of the residual branch it feeds. */
class Modulation(val shift: Projection, val scale: Projection, val gate: Projection?)

/** The weights of one stream (image or text) of a double block. */
class StreamWeights(
    val attentionModulation: Modulation,
    val mlpModulation: Modulation,
    val q: Projection,
    val k: Projection,
    val v: Projection,
    /** RMSNorm gains over one head's channels, applied to q and k before RoPE. */
    val queryNorm: Tensor,
    val keyNorm: Tensor,
    val attentionOut: Projection,
    val mlpIn: Projection,
    val mlpOut: Projection,
)

class DoubleBlockWeights(val image: StreamWeights, val text: StreamWeights)

/** A single block: one modulation, attention and MLP fed by the same normalised tokens, one output layer over both. */
class SingleBlockWeights(
    val modulation: Modulation,
    val q: Projection,
    val k: Projection,
    val v: Projection,
    val mlpIn: Projection,
    val queryNorm: Tensor,
    val keyNorm: Tensor,
    /** Over the concatenation of the attention's output and the MLP's activations, in that order. */
    val out: Projection,
)

class FinalLayerWeights(val modulation: Modulation, val linear: Projection)

/**
 * The Flux DiT's parameters by the role they play, whatever a file calls them or however it fuses them. The graph
 * reads only this, so a layout that stores q, k and v (or the modulation chunks) separately is a second
 * implementation, not a conversion at load time. Parts are fetched when the graph reaches them, so a block's
 * weights are read while that block is built.
 */
interface FluxLayout {
    val doubleBlocks: Int
    val singleBlocks: Int
    val hasGuidance: Boolean

    /** Channels per attention head: the length of the q/k RMSNorm gains. */
    val headDim: Int

    fun imageIn(): Projection
    fun textIn(): Projection
    fun timeIn(): MlpEmbedder
    fun vectorIn(): MlpEmbedder
    fun guidanceIn(): MlpEmbedder?
    fun doubleBlock(i: Int): DoubleBlockWeights
    fun singleBlock(i: Int): SingleBlockWeights
    fun finalLayer(): FinalLayerWeights

    companion object {
        /** The layout the weights are named in: diffusers' when they have its image embedder, else Black Forest Labs'. */
        fun of(w: Weights, ctx: GgmlContext): FluxLayout =
            if (DiffusersFluxLayout.claims(w)) DiffusersFluxLayout(w, ctx) else BflFluxLayout(w, ctx)

        fun hasGuidance(w: Weights): Boolean =
            if (DiffusersFluxLayout.claims(w)) DiffusersFluxLayout.hasGuidance(w) else BflFluxLayout.hasGuidance(w)

        /** Blocks `prefix.0`, `prefix.1`, … while each has [probe]. */
        fun blockCount(w: Weights, prefix: String, probe: String): Int =
            generateSequence(0) { it + 1 }.takeWhile { w.has("$prefix.$it.$probe") }.count()

        fun headDim(w: Weights): Int = if (DiffusersFluxLayout.claims(w)) DiffusersFluxLayout.headDim(w) else BflFluxLayout.headDim(w)
    }
}
