package dev.sdj.core.family.sdxl

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.Emphasis
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.family.sd.SdConditioner
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import java.nio.ByteBuffer
import java.nio.ByteOrder

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

    /** The text encoders' weights: CLIP-L's and bigG's text models (under "text_model."), and what is beside bigG's (its projection). */
    class TextEncoders(val clipL: Weights, val bigG: Weights, val bigGProjection: Weights)

    /** One prompt's conditioning: context [2048 × tokens] token-major, and y [1280 + 6 · 256]. */
    class Conditioning(val context: FloatArray, val y: FloatArray)

    /** The chunks the prompts are encoded in (the longest one's), after checking they are within [SdConditioner]'s caps. */
    fun chunkCount(prompts: List<String>): Int = prompts.maxOf { tokenize(it).chunkCount }

    /**
     * The conditioning of [prompt] and, when guided, of [negativePrompt]. An empty negative prompt gets an all-zero
     * context (stable-diffusion.cpp's rule for SDXL, given an empty negative prompt while guiding); its y stays the
     * empty prompt's pooled embedding and the sizes.
     *
     * @param clipSkip applies to both encoders ([DEFAULT_CLIP_SKIP] takes their penultimate layers)
     * @param onChunk hears (0, total) before the first chunk and (k, total) after the k-th; it may stop the encoding by throwing
     */
    fun encode(session: GraphSession, weights: TextEncoders, prompt: String, negativePrompt: String?, clipSkip: Int,
               size: SizeConditioning, onChunk: (done: Int, total: Int) -> Unit): List<Conditioning> {
        val prompts = listOfNotNull(prompt, negativePrompt)
        val tokens = prompts.map { tokenize(it) }
        val chunks = tokens.maxOf { it.chunkCount }
        val empty = tokenize("")
        val n = CONTEXT.toLong()
        val lGraph = session.compile("text encoder") { g ->
            clipL.build(g.nn, weights.clipL, g.input("tokens", GgmlType.I32, n, 1), clipSkip, finalLayerNorm = false)
        }
        val gGraph = session.compile("text encoder 2") { g ->
            val out = bigG.buildWithPooled(g.nn, weights.bigG, weights.bigGProjection, g.input("tokens", GgmlType.I32, n, 1),
                g.input("eos", GgmlType.I32, 1), clipSkip, finalLayerNorm = false)
            // one output: the hidden states, then the pooled embedding
            g.nn.ctx.concat(flat(g.nn.ctx, out.hidden), flat(g.nn.ctx, out.pooled), 0)
        }
        val gWidth = weights.bigG.get("embeddings.token_embedding.weight").ne(0).toInt()
        val total = chunks * prompts.size
        var done = 0
        onChunk(done, total)
        return tokens.mapIndexed { p, t ->
            var context = FloatArray(0)
            var pooled = FloatArray(0)
            for (c in 0 until chunks) {
                val chunk = if (c < t.chunkCount) t.chunk(c) else empty
                val l = run(lGraph, session, chunk.ids)
                val g = run(gGraph, session, bigGIds(chunk.ids, eos), eosPosition(chunk.ids, eos))
                val hidden = Emphasis.apply(join(l, g, gWidth), chunk.weights)
                if (c == 0) {
                    context = FloatArray(hidden.size * chunks)
                    pooled = g.copyOfRange(gWidth * CONTEXT, g.size)
                }
                hidden.copyInto(context, c * hidden.size)
                onChunk(++done, total)
            }
            if (p == 1 && prompts[1].isEmpty()) context.fill(0f)
            Conditioning(context, size.vector(pooled))
        }
    }

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
        graph.input("tokens").write(ints(ids), 0)
        if (eosAt != null) graph.input("eos").write(ints(listOf(eosAt)), 0)
        return graph.run(session.backend)
    }

    private fun ints(values: List<Int>): ByteBuffer {
        val b = ByteBuffer.allocateDirect(4 * values.size).order(ByteOrder.nativeOrder())
        values.forEach { b.putInt(it) }
        return b.flip()
    }

    private fun flat(ctx: GgmlContext, t: Tensor) = ctx.reshape(t, t.elementCount())

    companion object {
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
