package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * One of LTX-2.3's `Embeddings1DConnector`s (video or audio) as stable-diffusion.cpp runs it (ltxv.hpp): the prompt's
 * features [width, n] followed by learnable registers up to [Ltx2ConnectorDimensions.sequence] tokens, position
 * n + j holding register (n + j) mod registers (the registers tiled over the whole sequence, the prompt's positions
 * cut out); then blocks of
 *
 *     h = x + to_out(gate ⊙ attention(rope(q_norm(to_q(m))), rope(k_norm(to_k(m))), to_v(m))),  m = rms(x)
 *     y = h + ff.net.2(gelu_tanh(ff.net.0.proj(rms(h))))
 *
 * with a parameter-free RMS norm rms, q_norm and k_norm RMS norms over the whole width with learned weights, the 1-D
 * RoPE of [Ltx2ConnectorRope], unmasked attention (registers replace padding, so every token is attended), and per
 * head gates 2·sigmoid(to_gate_logits(m)) on the attention output when the weights have them; a final parameter-free
 * RMS norm. sd.cpp runs this inside every DiT step; it depends only on the prompt, so the conditioning phase runs it
 * once and keeps the result.
 *
 * The blocks are not streamed yet, and LTX-2.3's are large enough that a small card will want them to be: a video
 * block is 4·4096² + 2·4096·16384 ≈ 201 M parameters (400 MB in bf16), eight of them 1.6 G (3.2 GB); the audio
 * connector a quarter of that; the two aggregate projections 188 160 × 6144 ≈ 1.16 G. Each block reads only its
 * input and the RoPE table ([block]), so it can become a streamable block the way Gemma's layers are.
 *
 * @param name prefix of the graph inputs this connector declares, so that both connectors fit in one graph
 */
class Ltx2Connector(val dimensions: Ltx2ConnectorDimensions, val name: String) {
    /** Connects [features] [width, n] with the connector's weights [w]; declares the inputs [setInputs] fills. Result [width, L]. */
    fun build(g: CompiledGraph.Builder, w: Weights, features: Tensor): Tensor {
        val valid = features.ne(1).toInt()
        val length = dimensions.sequence(valid)
        val pe = g.input(ropeInput, GgmlType.F32, dimensions.headDim / 2, dimensions.heads.toLong(), length.toLong(), 2)
        val rows = if (length > valid) g.input(rowsInput, GgmlType.I32, (length - valid).toLong()) else null
        return connect(g.nn, w, features, rows, pe)
    }

    /**
     * [build] without the graph builder: [rows] the i32 register indices for positions n … L−1 (null when the prompt
     * fills the sequence), [pe] the RoPE table over L tokens.
     */
    fun connect(nn: Nn, w: Weights, features: Tensor, rows: Tensor?, pe: Tensor): Tensor {
        val given = Ltx2ConnectorDimensions.of(w)
        require(given == dimensions) { "these weights are a connector of $given, this one was made for $dimensions" }
        require(features.ne(0) == dimensions.width) { "features are ${features.ne(0)} wide, the connector ${dimensions.width}" }
        var x = withRegisters(nn, w, features, rows)
        for (i in 0 until dimensions.blocks) x = block(nn, w.at("transformer_1d_blocks.$i"), x, pe)
        return nn.ctx.rmsNorm(x, Ltx2TextArchitecture.BLOCK_EPS)
    }

    /**
     * The blocks' input: [features] [width, n] then the registers [rows] names (i32 [L − n]; null when there are none),
     * as [width, L, 1].
     */
    fun withRegisters(nn: Nn, w: Weights, features: Tensor, rows: Tensor?): Tensor {
        val ctx = nn.ctx
        val x = if (rows == null) features else ctx.concat(features, ctx.getRows(w.get("learnable_registers"), rows), 1)
        return ctx.reshape(x, dimensions.width, x.ne(1), 1)
    }

    /** One block, `transformer_1d_blocks.N`'s weights in [w], over x [width, L, 1] with the RoPE table [pe]. */
    fun block(nn: Nn, w: Weights, x: Tensor, pe: Tensor): Tensor {
        val ctx = nn.ctx
        val attended = ctx.add(x, attention(nn, w.at("attn1"), ctx.rmsNorm(x, Ltx2TextArchitecture.BLOCK_EPS), pe))
        val inner = ctx.gelu(nn.linear(ctx.rmsNorm(attended, Ltx2TextArchitecture.BLOCK_EPS), w.at("ff.net.0.proj")))
        // sd.cpp asks ff.net.2 for f32 accumulation on Vulkan: its input is the widest activation of the block
        val out = ctx.add(ctx.accumulateInF32(ctx.mulMat(w.get("ff.net.2.weight"), inner)), w.get("ff.net.2.bias"))
        return ctx.add(attended, out)
    }

    private fun attention(nn: Nn, w: Weights, m: Tensor, pe: Tensor): Tensor {
        val ctx = nn.ctx
        val heads = dimensions.heads
        val t = m.ne(1)
        fun normed(projection: String, norm: String) =
            ctx.mul(ctx.rmsNorm(nn.linear(m, w.at(projection)), Ltx2TextArchitecture.QK_EPS), w.get("$norm.weight"))
        val q = Ltx2ConnectorRope.apply(ctx, normed("to_q", "q_norm"), pe, heads)
        val k = Ltx2ConnectorRope.apply(ctx, normed("to_k", "k_norm"), pe, heads)
        var out = nn.attention(q, k, nn.linear(m, w.at("to_v")), heads)                       // [width, L, 1]
        if (dimensions.gated) {
            val gates = ctx.scale(ctx.sigmoid(nn.linear(m, w.at("to_gate_logits"))), Ltx2TextArchitecture.GATE_SCALE)
            val perHead = ctx.mul(ctx.reshape(out, dimensions.headDim, heads.toLong(), t), ctx.reshape(gates, 1, heads.toLong(), t))
            out = ctx.reshape(perHead, dimensions.width, t, 1)
        }
        return nn.linear(out, w.at("to_out.0"))
    }

    /** Sets this connector's inputs in a graph built for [valid] prompt tokens. */
    fun setInputs(graph: CompiledGraph, valid: Int) {
        val length = dimensions.sequence(valid)
        val pe = graph.input(ropeInput)
        require(pe.ne(2) == length.toLong()) { "the graph connects ${pe.ne(2)} tokens, $valid prompt tokens make $length" }
        pe.setFloats(Ltx2ConnectorRope.table(dimensions.width.toInt(), dimensions.heads, length))
        if (length > valid) graph.input(rowsInput).setInts(dimensions.registerRows(valid))
    }

    private val ropeInput get() = "${name}_rope"
    private val rowsInput get() = "${name}_register_rows"


    companion object {
        fun of(w: Weights, name: String) = Ltx2Connector(Ltx2ConnectorDimensions.of(w), name)
    }
}
