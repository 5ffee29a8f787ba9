package dev.sdj.core.family.flux

import dev.sdj.core.family.clip.ClipTextEncoder
import dev.sdj.core.family.clip.Emphasis
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.family.t5.T5Encoder
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * Prompt → Flux's two conditionings, as stable-diffusion.cpp computes them: the vector y, CLIP-L's pooled output
 * (the last layer through the final layer norm at the first end token, no projection), and the DiT's context, T5's
 * final hidden states chunk by chunk with emphasis applied per chunk, the chunks joined along the tokens.
 *
 * Prompts of one request are padded to the same T5 chunk count with empty chunks so one DiT graph serves both
 * (stable-diffusion.cpp runs each prompt at its own length, which differs from this only for prompts over 255 tokens).
 */
class FluxConditioner(private val tokens: FluxPromptTokens) {
    private val clip = ClipTextEncoder(quickGelu = true)

    /** CLIP-L's graph: the pooled vector [hidden] of one 77-token pass. */
    fun pooledGraph(clipL: Weights): (CompiledGraph.Builder) -> Tensor = { g ->
        val ctx = g.nn.ctx
        val hidden = clip.build(g.nn, clipL, g.input("tokens", GgmlType.I32, FluxPromptTokens.CLIP_CONTEXT.toLong(), 1))
        val states = ctx.reshape(hidden, hidden.ne(0), hidden.ne(1))
        ctx.reshape(ctx.getRows(states, g.input("eos", GgmlType.I32, 1)), hidden.ne(0))
    }

    /** T5's graph over one chunk: the final hidden states [d_model × 256]. */
    fun t5Graph(t5: Weights): (CompiledGraph.Builder) -> Tensor = { g -> T5Encoder.of(t5).build(g, t5, FluxPromptTokens.T5_CHUNK.toLong()) }

    /** Each prompt's pooled vector. */
    fun encodePooled(session: GraphSession, clipL: Weights, prompts: List<String>, onPrompt: (Int, Int) -> Unit): List<FloatArray> {
        val graph = session.compile(CLIP_L_GRAPH, build = pooledGraph(clipL))
        onPrompt(0, prompts.size)
        return prompts.mapIndexed { i, prompt ->
            val ids = tokens.clipIds(prompt)
            graph.input("tokens").setInts(ids.toIntArray())
            graph.input("eos").setInts(intArrayOf(tokens.clipPooledAt(ids)))
            graph.run(session.backend).also { onPrompt(i + 1, prompts.size) }
        }
    }

    /** The T5 chunks of every prompt, padded to one count. */
    fun t5Chunks(prompts: List<String>): List<List<WeightedTokens>> {
        val all = prompts.map { tokens.t5(it) }
        val count = all.maxOf { it.chunkCount }
        val empty = tokens.t5("")
        return all.map { t -> (0 until count).map { c -> if (c < t.chunkCount) t.chunk(c) else empty } }
    }

    /** Each prompt's DiT context [d_model × 256·chunks], emphasis applied per chunk. */
    fun encodeT5(session: GraphSession, t5: Weights, prompts: List<String>, onChunk: (Int, Int) -> Unit): List<FloatArray> {
        val graph = session.compile(T5_GRAPH, build = t5Graph(t5))
        val encoder = T5Encoder.of(t5)
        val chunks = t5Chunks(prompts)
        val total = chunks.sumOf { it.size }
        var done = 0
        onChunk(done, total)
        return chunks.map { prompt ->
            val states = prompt.map { chunk ->
                encoder.setInputs(graph, chunk.ids.toIntArray())
                Emphasis.apply(graph.run(session.backend), chunk.weights).also { onChunk(++done, total) }
            }
            val context = FloatArray(states.sumOf { it.size })
            states.forEachIndexed { c, s -> s.copyInto(context, c * s.size) }
            context
        }
    }

    /** Context tokens of the request's prompts, as [t5Chunks] pads them. */
    fun contextTokens(prompts: List<String>): Int = prompts.maxOf { tokens.t5(it).chunkCount } * FluxPromptTokens.T5_CHUNK


    companion object {
        val CLIP_L_GRAPH = GraphKey("text encoder")
        val T5_GRAPH = GraphKey("text encoder 2")
    }
}
