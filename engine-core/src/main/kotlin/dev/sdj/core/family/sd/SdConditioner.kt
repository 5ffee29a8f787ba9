package dev.sdj.core.family.sd

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.Emphasis
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Backend
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * Prompt → UNet context: weighted CLIP tokens in 77-token chunks, each chunk encoded on its own, token weights
 * applied to the hidden states with the mean restored afterwards (A1111's emphasis), chunks joined along the
 * token axis. Positive and negative prompts are padded to the same chunk count so one UNet graph serves both.
 * Prompts are capped at [MAX_CHUNKS] chunks and [MAX_CHARACTERS] characters: the UNet's cross-attention grows with
 * the chunk count, and the emphasis parser with the brackets times the pieces.
 */
class SdConditioner(
    private val tokenizer: ClipTokenizer,
    private val encoder: ClipTextEncoder,
    private val padId: Int,
) {
    /** The chunks the prompts are encoded in (the longest one's), after checking they are within the caps. */
    fun chunkCount(prompts: List<String>): Int = prompts.maxOf { tokenize(it).chunkCount }

    private fun tokenize(prompt: String): WeightedTokens {
        if (prompt.length > MAX_CHARACTERS) {
            throw InvalidRequestException("a prompt has ${prompt.length} characters; the limit is $MAX_CHARACTERS")
        }
        return tokenizer.tokenizeWeighted(prompt, encoder.contextTokens, padId).also {
            if (it.chunkCount > MAX_CHUNKS) {
                throw InvalidRequestException("a prompt needs ${it.chunkCount} chunks of ${encoder.contextTokens - 2} tokens; the limit is $MAX_CHUNKS " +
                    "(${MAX_CHUNKS * (encoder.contextTokens - 2)} tokens)")
            }
        }
    }

    /**
     * Hidden states [hidden × (77 · chunks)] for each prompt, in token-major order as the UNet context expects.
     * [onChunk] hears (0, total) before the first chunk and (k, total) after the k-th; it may stop the encoding by throwing.
     */
    fun encode(session: GraphSession, weights: Weights, prompts: List<String>, clipSkip: Int,
               onChunk: (done: Int, total: Int) -> Unit): List<FloatArray> {
        val tokens = prompts.map { tokenize(it) }
        val chunks = tokens.maxOf { it.chunkCount }
        val empty = tokenizer.tokenizeWeighted("", encoder.contextTokens, padId)
        val graph = session.compile(GRAPH, build = graph(weights, clipSkip))
        val total = chunks * prompts.size
        var done = 0
        onChunk(done, total)
        return tokens.map { t ->
            var joined = FloatArray(0)
            for (c in 0 until chunks) {
                val hidden = encodeChunk(graph, session.backend, if (c < t.chunkCount) t.chunk(c) else empty)
                if (c == 0) joined = FloatArray(hidden.size * chunks)
                hidden.copyInto(joined, c * hidden.size)
                onChunk(++done, total)
            }
            joined
        }
    }

    /** The encoder's graph over one chunk of tokens, as [encode] compiles it. */
    fun graph(weights: Weights, clipSkip: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        encoder.build(g.nn, weights, g.input("tokens", GgmlType.I32, encoder.contextTokens.toLong(), 1), clipSkip)
    }

    private fun encodeChunk(graph: CompiledGraph, backend: Backend, chunk: WeightedTokens): FloatArray {
        val ids = ByteBuffer.allocateDirect(4 * chunk.ids.size).order(ByteOrder.nativeOrder())
        chunk.ids.forEach { ids.putInt(it) }
        ids.flip()
        graph.input("tokens").write(ids, 0)
        return Emphasis.apply(graph.run(backend), chunk.weights)
    }

    companion object {
        val GRAPH = GraphKey("text encoder")
        const val MAX_CHUNKS = 16
        const val MAX_CHARACTERS = 20_000
    }
}
