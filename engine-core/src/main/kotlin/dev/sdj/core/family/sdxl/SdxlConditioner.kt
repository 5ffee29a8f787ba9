package dev.sdj.core.family.sdxl

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.Emphasis
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.family.sd.SdConditioner
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * Prompt → SDXL's two conditionings, as stable-diffusion.cpp computes them: the UNet context, CLIP-L's and
 * OpenCLIP-bigG's penultimate hidden states side by side (768 + 1280 = 2048 per token, no final layer norm), and the
 * vector y, bigG's pooled text embedding followed by the size embeddings ([SizeConditioning]).
 *
 * One tokenizer serves both encoders (they share CLIP's BPE vocabulary): prompts are tokenized once with A1111
 * emphasis into 77-token chunks padded with the end token, which CLIP-L reads as they are; bigG reads the same ids
 * with everything after the first end token set to 0, OpenCLIP's padding. Emphasis is applied to each chunk's
 * joined 2048-wide states (one mean restored over both encoders), chunks are joined along the token axis, and y
 * takes the pooled embedding of the first chunk only. Prompts of one request are padded with empty chunks to the
 * same chunk count so one UNet graph serves both (stable-diffusion.cpp runs each prompt at its own length, which
 * differs from this only for prompts over 75 tokens).
 */
class SdxlConditioner(private val tokenizer: ClipTokenizer) {
    private val clipL = ClipTextEncoder(quickGelu = true)
    private val bigG = ClipTextEncoder(quickGelu = false)

    /** The chunks the prompts are encoded in (the longest one's), after checking they are within [SdConditioner]'s caps. */
    fun chunkCount(prompts: List<String>): Int = prompts.maxOf { tokenize(it).chunkCount }

    /** Each prompt's chunks' ids and emphasis weights, all padded with empty chunks to the longest one's count. */
    fun chunks(prompts: List<String>): List<List<WeightedTokens>> {
        val tokens = prompts.map { tokenize(it) }
        val count = tokens.maxOf { it.chunkCount }
        val empty = tokenize("")
        return tokens.map { t -> (0 until count).map { c -> if (c < t.chunkCount) t.chunk(c) else empty } }
    }

    /** CLIP-L's graph over one chunk: its hidden states at [clipSkip], no final layer norm. */
    fun clipLGraph(clipL: Weights, clipSkip: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        this.clipL.build(g.nn, clipL, g.input("tokens", GgmlType.I32, CONTEXT.toLong(), 1), clipSkip, finalLayerNorm = false)
    }

    /** bigG's graph over one chunk: its hidden states at [clipSkip] (no final layer norm), then the pooled embedding. */
    fun bigGGraph(bigG: Weights, projection: Weights, clipSkip: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        val out = this.bigG.buildWithPooled(g.nn, bigG, projection, g.input("tokens", GgmlType.I32, CONTEXT.toLong(), 1),
            g.input("eos", GgmlType.I32, 1), clipSkip, finalLayerNorm = false)
        g.nn.ctx.concat(flat(g.nn.ctx, out.hidden), flat(g.nn.ctx, out.pooled), 0)
    }

    /** CLIP-L's hidden states [768 × 77] of every chunk of every prompt, as [chunks] lays them out. */
    fun encodeClipL(session: GraphSession, clipL: Weights, prompts: List<String>, clipSkip: Int,
                    onChunk: (done: Int, total: Int) -> Unit): List<List<FloatArray>> {
        val graph = session.compile(CLIP_L_GRAPH, build = clipLGraph(clipL, clipSkip))
        return each(chunks(prompts), onChunk) { chunk -> run(graph, session, chunk.ids) }
    }

    /**
     * bigG's hidden states [1280 × 77] of every chunk of every prompt, each followed by that chunk's pooled
     * embedding (read from the first chunk only).
     */
    fun encodeBigG(session: GraphSession, bigG: Weights, projection: Weights, prompts: List<String>, clipSkip: Int,
                   onChunk: (done: Int, total: Int) -> Unit): List<List<FloatArray>> {
        val graph = session.compile(BIG_G_GRAPH, build = bigGGraph(bigG, projection, clipSkip))
        return each(chunks(prompts), onChunk) { chunk -> run(graph, session, bigGIds(chunk.ids, eos), eosPosition(chunk.ids, eos)) }
    }

    private fun each(chunks: List<List<WeightedTokens>>, onChunk: (Int, Int) -> Unit, encode: (WeightedTokens) -> FloatArray): List<List<FloatArray>> {
        val total = chunks.sumOf { it.size }
        var done = 0
        onChunk(done, total)
        return chunks.map { prompt -> prompt.map { chunk -> encode(chunk).also { onChunk(++done, total) } } }
    }

    /**
     * The UNet context of each prompt from the two encoders' outputs: per chunk CLIP-L's and bigG's states side by
     * side, emphasis applied over both, chunks joined along the tokens. An empty negative prompt (the second of
     * two) gets an all-zero context, stable-diffusion.cpp's rule for SDXL when guiding.
     */
    fun contexts(prompts: List<String>, clipL: List<List<FloatArray>>, bigG: List<List<FloatArray>>, bigGWidth: Int): List<FloatArray> =
        chunks(prompts).mapIndexed { p, chunks ->
            val joined = chunks.mapIndexed { c, chunk -> Emphasis.apply(join(clipL[p][c], bigG[p][c], bigGWidth), chunk.weights) }
            val context = FloatArray(joined.sumOf { it.size })
            joined.forEachIndexed { c, hidden -> hidden.copyInto(context, c * hidden.size) }
            if (p == 1 && prompts[1].isEmpty()) context.fill(0f)
            context
        }

    /** Each prompt's pooled embedding: what follows the hidden states in its first chunk's bigG output. */
    fun pooled(bigG: List<List<FloatArray>>, bigGWidth: Int): List<FloatArray> = bigG.map { it[0].copyOfRange(bigGWidth * CONTEXT, it[0].size) }

    private val eos: Int get() = tokenizer.vocab.eosId

    private fun tokenize(prompt: String): WeightedTokens {
        if (prompt.length > SdConditioner.MAX_CHARACTERS) {
            throw InvalidRequestException("a prompt has ${prompt.length} characters; the limit is ${SdConditioner.MAX_CHARACTERS}")
        }
        return tokenizer.tokenizeWeighted(prompt, CONTEXT, eos).also {
            if (it.chunkCount > SdConditioner.MAX_CHUNKS) {
                throw InvalidRequestException("a prompt needs ${it.chunkCount} chunks of ${CONTEXT - 2} tokens; the limit is " +
                    "${SdConditioner.MAX_CHUNKS} (${SdConditioner.MAX_CHUNKS * (CONTEXT - 2)} tokens)")
            }
        }
    }

    private fun run(graph: CompiledGraph, session: GraphSession, ids: List<Int>, eosAt: Int? = null): FloatArray {
        graph.input("tokens").setInts(ids.toIntArray())
        if (eosAt != null) graph.input("eos").setInts(intArrayOf(eosAt))
        return graph.run(session.backend)
    }


    private fun flat(ctx: GgmlContext, t: Tensor) = ctx.reshape(t, t.elementCount())

    companion object {
        val CLIP_L_GRAPH = GraphKey("text encoder")
        val BIG_G_GRAPH = GraphKey("text encoder 2")

        /** Tokens per encoder pass. */
        const val CONTEXT = 77

        /** The clip skip a request that leaves it to the model gets: SDXL conditions on both encoders' penultimate layers. */
        const val DEFAULT_CLIP_SKIP = 2

        /** bigG's ids for a chunk: the chunk's ids up to its first end token, 0 after it. */
        fun bigGIds(ids: List<Int>, eosId: Int): List<Int> {
            val end = ids.indexOf(eosId)
            return if (end < 0) ids else ids.mapIndexed { i, id -> if (i > end) 0 else id }
        }

        /** Where the pooled embedding is read: the chunk's first end token (the last position if it has none). */
        fun eosPosition(ids: List<Int>, eosId: Int): Int = ids.indexOf(eosId).let { if (it < 0) ids.size - 1 else it }

        /**
         * Per token, CLIP-L's hidden state then bigG's: [l] is [lWidth × tokens], [g] starts with [gWidth × tokens]
         * (what follows, the pooled embedding, is not read).
         */
        fun join(l: FloatArray, g: FloatArray, gWidth: Int, tokens: Int = CONTEXT): FloatArray {
            require(l.size % tokens == 0 && g.size >= gWidth * tokens) { "hidden states do not make $tokens tokens" }
            val lWidth = l.size / tokens
            val out = FloatArray((lWidth + gWidth) * tokens)
            for (t in 0 until tokens) {
                l.copyInto(out, t * (lWidth + gWidth), t * lWidth, (t + 1) * lWidth)
                g.copyInto(out, t * (lWidth + gWidth) + lWidth, t * gWidth, (t + 1) * gWidth)
            }
            return out
        }
    }
}
