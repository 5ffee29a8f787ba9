package dev.sdj.core.family.sd

import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Backend
import dev.sdj.ggml.GgmlType
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * Prompt → UNet context: weighted CLIP tokens in 77-token chunks, each chunk encoded on its own, token weights
 * applied to the hidden states with the mean restored afterwards (A1111's emphasis), chunks joined along the
 * token axis. Positive and negative prompts are padded to the same chunk count so one UNet graph serves both.
 */
class SdConditioner(
    private val tokenizer: ClipTokenizer,
    private val encoder: ClipTextEncoder,
    private val padId: Int,
) {
    /** Hidden states [hidden × (77 · chunks)] for each prompt, in token-major order as the UNet context expects. */
    fun encode(session: GraphSession, weights: Weights, prompts: List<String>, clipSkip: Int): List<FloatArray> {
        val tokens = prompts.map { tokenizer.tokenizeWeighted(it, 77, padId) }
        val chunks = tokens.maxOf { it.chunkCount }
        val empty = tokenizer.tokenizeWeighted("", 77, padId)
        val graph = session.compile("text encoder") { g -> encoder.build(g.nn, weights, g.input("tokens", GgmlType.I32, 77, 1), clipSkip) }
        return tokens.map { t ->
            (0 until chunks).map { c -> encodeChunk(graph, session.backend, if (c < t.chunkCount) t.chunk(c) else empty) }
                .reduce { a, b -> a + b }
        }
    }

    private fun encodeChunk(graph: CompiledGraph, backend: Backend, chunk: WeightedTokens): FloatArray {
        val ids = ByteBuffer.allocateDirect(4 * chunk.ids.size).order(ByteOrder.nativeOrder())
        chunk.ids.forEach { ids.putInt(it) }
        ids.flip()
        graph.input("tokens").write(ids, 0)
        val hidden = graph.run(backend)
        if (chunk.weights.all { it == 1f }) return hidden
        val width = hidden.size / chunk.ids.size
        val before = hidden.average()
        for (t in chunk.ids.indices) {
            val w = chunk.weights[t]
            for (i in 0 until width) hidden[t * width + i] *= w
        }
        val after = hidden.average()
        if (after != 0.0) {
            val k = (before / after).toFloat()
            for (i in hidden.indices) hidden[i] *= k
        }
        return hidden
    }
}
