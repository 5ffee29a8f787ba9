package dev.sdj.core.family.flux

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * The Flux.1 diffusion model as one graph over weights in Black Forest Labs' names relative to the model's root
 * (`img_in.weight`, `double_blocks.0.img_attn.qkv.weight`, …) or in diffusers' FluxTransformer2DModel names
 * (`x_embedder.weight`, `transformer_blocks.0.attn.to_q.weight`, …), see [FluxLayout.of]. Every dimension is
 * read from the weights: width, head size (and so the head count), MLP width, block counts, latent channels,
 * context and vector widths, and whether a guidance embedder exists.
 *
 * Inputs, all F32, to set before every run:
 * - [X] [latentW, latentH, C, 1]: the latent as the sampler holds it (no input scaling for flow models);
 * - [CONTEXT] [ctxWidth, tokens, 1]: T5's hidden states;
 * - [T] [1]: the sampler's sigma in [0, 1], as stable-diffusion.cpp feeds Flux (the graph multiplies it by 1000);
 * - [Y] [vecWidth, 1]: CLIP-L's pooled output;
 * - [GUIDANCE] [1]: the guidance scale itself (e.g. 3.5), only when [hasGuidance];
 * - [PE] [headDim/2, tokens + patches, 2]: [ropeTable] for the same sizes, which changes only with them.
 * The output is the predicted velocity [latentW, latentH, C, 1]; stable-diffusion.cpp's denoised estimate is
 * x − sigma · output.
 */
object FluxDit {
    const val X = "x"
    const val CONTEXT = "context"
    const val T = "t"
    const val Y = "y"
    const val GUIDANCE = "guidance"
    const val PE = "pe"
    val INPUT_NAMES = setOf(X, CONTEXT, T, Y, GUIDANCE, PE)

    fun hasGuidance(w: Weights): Boolean = FluxLayout.hasGuidance(w)

    fun build(g: CompiledGraph.Builder, w: Weights, latentW: Long, latentH: Long, tokens: Long): Tensor {
        val layout = FluxLayout.of(w, g.nn.ctx)
        val dit = FluxDitGraph(g.nn, layout)
        val contextWidth = layout.textIn().inFeatures
        val vectorWidth = layout.vectorIn().inLayer.inFeatures
        val x = g.input(X, GgmlType.F32, latentW, latentH, dit.latentChannels, 1)
        val context = g.input(CONTEXT, GgmlType.F32, contextWidth, tokens, 1)
        val t = g.input(T, GgmlType.F32, 1)
        val y = g.input(Y, GgmlType.F32, vectorWidth, 1)
        val guidance = if (layout.hasGuidance) g.input(GUIDANCE, GgmlType.F32, 1) else null
        val pe = g.input(PE, GgmlType.F32, dit.headDim / 2L, tokens + FluxRope.imageTokens(latentW, latentH), 2)
        return dit.forward(x, t, context, y, guidance, pe)
    }

    /** The values of input [PE] for a latent of that size and [tokens] text tokens. */
    fun ropeTable(w: Weights, latentW: Long, latentH: Long, tokens: Long): FloatArray =
        FluxRope.table(FluxLayout.headDim(w), latentW, latentH, tokens)
}
