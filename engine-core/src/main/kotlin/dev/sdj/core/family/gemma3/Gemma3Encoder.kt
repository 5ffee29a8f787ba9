package dev.sdj.core.family.gemma3

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import kotlin.math.sqrt

/**
 * Gemma-3's decoder stack run as a text encoder, as stable-diffusion.cpp runs it for LTX-2 (llm.hpp, GEMMA3_12B), over
 * weights in llama.cpp's names ([Gemma3Names]): the token embedding scaled by √hidden, then layers of
 *
 *     h = x + post_attention_norm(attention(attn_norm(x)))
 *     y = h + post_ffw_norm(ffn_down(gelu_tanh(ffn_gate(m)) ⊙ ffn_up(m))),  m = ffn_norm(h)
 *
 * with grouped-query attention whose q and k are RMS-normed per head and rotated ([Gemma3Rope]: θ = 10 000 on local
 * layers, 1e6 with positions / 8 on every sixth, global, layer), logits scaled by 1/√headDim (12B's
 * query_pre_attn_scalar is its head width, 256; sd.cpp hard-codes 12B and so does this), and the causal + padding
 * mask, narrowed to a sliding window on local layers ([Gemma3Masks]).
 *
 * The result is every hidden state, as HF's output_hidden_states and sd.cpp's return_all_hidden_states give them: the
 * scaled embedding, each layer's output, the last one through the final norm (and not also before it).
 *
 * The embedding scale is √hidden in f32 (61.9677 for 3840), as llama.cpp and sd.cpp scale; HF rounds it to the
 * embedding's dtype first (62.0 in bf16), 5.2e-4 larger, which this does not copy.
 * Attention is built here rather than through [dev.sdj.core.graph.Attention], whose paths take neither a mask nor
 * fewer key/value heads than query heads; its score matrix is heads × T² f32 (64 MiB for 12B at 1024 tokens).
 *
 * @param window the local layers' sliding window ([Gemma3Architecture.SLIDING_WINDOW]; tests use a small one)
 */
class Gemma3Encoder(
    val dimensions: Gemma3Dimensions,
    val norms: Gemma3NormWeights = Gemma3NormWeights.ONE_PLUS_W,
    val window: Int = Gemma3Architecture.SLIDING_WINDOW,
) {
    /**
     * The stack over [tokens] token ids, declaring the input [TOKENS] and the masks and RoPE tables its layers use,
     * which [setInputs] fills.
     *
     * @param kept how many of the last tokens the stack keeps: a left-padded prompt's own tokens are its last ones,
     *   and nothing after the encoder reads the padding's states (LTX-2's feature extractor drops them), so keeping
     *   only the prompt's turns 1024 rows per state into a few dozen
     * @return f32 [hidden, kept, layers + 1]: plane 0 the scaled embedding, plane i the output of layer i − 1, the
     *   last plane normed, each of the last [kept] tokens. The planes are written by copies as the layers run, so the
     *   stack exists once (each layer adds one plane to the compute buffer: Gemma3ComputeBufferTest). The output is a
     *   view of the whole stack, and ggml's allocator never frees a graph output's memory, so planes written early
     *   are not reused by later layers.
     */
    fun build(g: CompiledGraph.Builder, w: Weights, tokens: Long, kept: Long = tokens): Tensor {
        val given = Gemma3Dimensions.of(w)
        require(given == dimensions) { "these weights are a Gemma-3 of $given, the encoder was made for $dimensions" }
        val ids = g.input(TOKENS, GgmlType.I32, tokens)
        val d = dimensions.headDim
        val local by lazy { g.input(ROPE_LOCAL, GgmlType.F32, d / 2, tokens, 2) to g.input(MASK_LOCAL, GgmlType.F32, tokens, tokens) }
        val global by lazy { g.input(ROPE_GLOBAL, GgmlType.F32, d / 2, tokens, 2) to g.input(MASK_GLOBAL, GgmlType.F32, tokens, tokens) }
        return encode(g.nn, w, ids, { isGlobal -> if (isGlobal) global else local }, g::alsoCompute, kept)
    }

    /**
     * [build]'s stack over i32 [ids] [T], without the graph builder: [tables] gives a layer kind's RoPE table and mask
     * (global: true), asked once per kind the stack has; [alsoCompute] receives the copies into the stack's planes,
     * which the graph must compute although its output (a view of the whole stack) does not depend on them, each as
     * soon as its source is ([CompiledGraph.Builder.alsoCompute]).
     */
    fun encode(nn: Nn, w: Weights, ids: Tensor, tables: (Boolean) -> Pair<Tensor, Tensor>, alsoCompute: (Tensor) -> Unit,
               kept: Long = ids.ne(0)): Tensor {
        val ctx = nn.ctx
        val tokens = ids.ne(0)
        require(kept in 1..tokens) { "the stack keeps 1 to $tokens tokens, not $kept" }
        val stack = ctx.newTensor(GgmlType.F32, dimensions.hidden, kept, dimensions.layers + 1L).name("gemma3_hidden_states")
        val nb = stack.strides()
        fun plane(i: Int) = ctx.view3d(stack, dimensions.hidden, kept, 1, nb[1], nb[2], i * nb[2])
        fun keep(x: Tensor, i: Int) {
            val xs = x.strides()
            val last = if (kept == tokens) x else ctx.view3d(x, dimensions.hidden, kept, 1, xs[1], xs[2], (tokens - kept) * xs[1])
            alsoCompute(ctx.copy(last, plane(i)))
        }

        var x = embed(nn, w, ids)
        keep(x, 0)
        for (i in 0 until dimensions.layers) {
            val (pe, mask) = tables(Gemma3Architecture.isGlobal(i))
            x = layer(nn, w.at("blk.$i"), x, pe, mask)
            if (i + 1 < dimensions.layers) keep(x, i + 1)
        }
        keep(norm(nn, x, w.get(Gemma3Names.FINAL_NORM)), dimensions.layers)
        return ctx.view3d(stack, dimensions.hidden, kept, dimensions.layers + 1L, nb[1], nb[2], 0)
    }

    /** Sets the inputs of a graph from [build] for [prompt] ([Gemma3Prompt.of]); its length must be the graph's. */
    fun setInputs(graph: CompiledGraph, prompt: Gemma3Prompt) = setInputs(graph, prompt.ids, prompt.padding)

    /** Sets the inputs for [ids] whose first [padding] tokens are padding. */
    fun setInputs(graph: CompiledGraph, ids: IntArray, padding: Int) {
        val tokens = graph.input(TOKENS)
        require(tokens.ne(0) == ids.size.toLong()) { "the graph encodes ${tokens.ne(0)} tokens, ${ids.size} were given" }
        require(ids.all { it >= 0 && it < dimensions.vocabulary }) {
            "token ids must lie in 0 until ${dimensions.vocabulary}: ${ids.filter { it < 0 || it >= dimensions.vocabulary }.take(5)}"
        }
        val t = ids.size
        tokens.setInts(ids)
        val d = dimensions.headDim.toInt()
        inputOf(graph, ROPE_LOCAL)?.setFloats(Gemma3Rope.local(d, t))
        inputOf(graph, MASK_LOCAL)?.setFloats(Gemma3Masks.local(t, padding, window))
        inputOf(graph, ROPE_GLOBAL)?.setFloats(Gemma3Rope.global(d, t))
        inputOf(graph, MASK_GLOBAL)?.setFloats(Gemma3Masks.global(t, padding))
    }

    /** A stack without global layers (or without local ones) declares no tables for them. */
    private fun inputOf(graph: CompiledGraph, name: String): Tensor? =
        try { graph.input(name) } catch (e: NoSuchElementException) { null }

    /** The token embedding of i32 [ids] [T] times √hidden: f32 [hidden, T, 1]. */
    fun embed(nn: Nn, w: Weights, ids: Tensor): Tensor {
        val rows = nn.ctx.getRows(w.get(Gemma3Names.EMBEDDING), ids)
        return nn.ctx.scale(nn.ctx.reshape(rows, dimensions.hidden, ids.ne(0), 1), sqrt(dimensions.hidden.toFloat()))
    }

    /**
     * One decoder layer, `blk.N`'s weights in [w], over x [hidden, T, 1] with the RoPE table [pe] and the mask
     * [mask] of its kind (local or global).
     */
    fun layer(nn: Nn, w: Weights, x: Tensor, pe: Tensor, mask: Tensor): Tensor {
        val ctx = nn.ctx
        val attended = ctx.add(x, norm(nn, attention(nn, w, norm(nn, x, w.get("attn_norm.weight")), pe, mask), w.get("post_attention_norm.weight")))
        val mlp = feedForward(nn, w, norm(nn, attended, w.get("ffn_norm.weight")))
        return ctx.add(attended, norm(nn, mlp, w.get("post_ffw_norm.weight")))
    }

    /**
     * Grouped-query attention: query head h reads key/value head h / (heads / kvHeads), as HF's repeat_kv and
     * ggml's broadcasting mul_mat both pair them, so k and v are never repeated in memory.
     */
    private fun attention(nn: Nn, w: Weights, x: Tensor, pe: Tensor, mask: Tensor): Tensor {
        val ctx = nn.ctx
        val d = dimensions.headDim
        val heads = dimensions.heads.toLong()
        val kvHeads = dimensions.kvHeads.toLong()
        val t = x.ne(1)
        fun project(name: String, n: Long) = ctx.reshape(nn.linear(x, w.at(name), bias = false), d, n, t)
        val q = Gemma3Rope.apply(ctx, norm(nn, project("attn_q", heads), w.get("attn_q_norm.weight")), pe)
        val k = Gemma3Rope.apply(ctx, norm(nn, project("attn_k", kvHeads), w.get("attn_k_norm.weight")), pe)
        val qh = ctx.cont(ctx.permute(q, 0, 2, 1, 3))                                  // [d, T, heads]
        val kh = ctx.cont(ctx.permute(k, 0, 2, 1, 3))                                  // [d, T, kvHeads]
        val vt = ctx.cont(ctx.permute(project("attn_v", kvHeads), 1, 2, 0, 3))         // [T, d, kvHeads]
        val scores = ctx.mulMat(kh, qh)                                                // [keys, queries, heads]
        val mixed = ctx.mulMat(vt, ctx.softMax(scores, mask, (1 / sqrt(d.toDouble())).toFloat()))   // [d, queries, heads]
        val joined = ctx.reshape(ctx.cont(ctx.permute(mixed, 0, 2, 1, 3)), d * heads, t, 1)
        return nn.linear(joined, w.at("attn_output"), bias = false)
    }

    /**
     * gelu_tanh(gate·x) ⊙ (up·x), then down. ffn_down's product is asked to accumulate in f32 for backends that would
     * accumulate f16 products in f16 (the gated product is the largest activation in the layer).
     */
    private fun feedForward(nn: Nn, w: Weights, x: Tensor): Tensor {
        val ctx = nn.ctx
        val gated = ctx.mul(ctx.gelu(nn.linear(x, w.at("ffn_gate"), bias = false)), nn.linear(x, w.at("ffn_up"), bias = false))
        return ctx.accumulateInF32(ctx.mulMat(w.get("ffn_down.weight"), gated))
    }

    /** Gemma's RMS norm x̂·(1 + w) over dimension 0, for either layout of the weight ([Gemma3NormWeights]). */
    private fun norm(nn: Nn, x: Tensor, weight: Tensor): Tensor {
        val normed = nn.ctx.rmsNorm(x, Gemma3Architecture.EPS)
        val scaled = nn.ctx.mul(normed, weight)
        return if (norms == Gemma3NormWeights.HUGGING_FACE) nn.ctx.add(scaled, normed) else scaled
    }


    companion object {
        /** The graph input of token ids, i32 [T]. */
        const val TOKENS = "tokens"
        const val ROPE_LOCAL = "gemma3_rope_local"
        const val ROPE_GLOBAL = "gemma3_rope_global"
        const val MASK_LOCAL = "gemma3_mask_local"
        const val MASK_GLOBAL = "gemma3_mask_global"

        fun of(w: Weights, norms: Gemma3NormWeights = Gemma3NormWeights.ONE_PLUS_W, window: Int = Gemma3Architecture.SLIDING_WINDOW) =
            Gemma3Encoder(Gemma3Dimensions.of(w), norms, window)
    }
}
