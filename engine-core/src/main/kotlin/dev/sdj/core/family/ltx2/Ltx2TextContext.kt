package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2.3's text contexts from Gemma's stacked hidden states, in one graph: [Ltx2FeatureExtractor]'s features (once),
 * their video and audio projections, each through its [Ltx2Connector], joined along the width as
 * [video width + audio width, L] (4096 + 2048 = 6144 in LTX-2.3): the layout stable-diffusion.cpp's DiT takes as an
 * already connected context (video channels first) and splits by width.
 *
 * @param video the video connector (`video_embeddings_connector`)
 * @param audio the audio connector (`audio_embeddings_connector`); both must give the same sequence length L, which
 *   they do when their register counts are equal (128 in LTX-2.3)
 */
class Ltx2TextContext(val video: Ltx2Connector, val audio: Ltx2Connector) {
    /** Both contexts of the last [valid] tokens of [stacked] [hidden, T, planes], with the text-connectors component's weights [w]. */
    fun build(g: CompiledGraph.Builder, w: Weights, stacked: Tensor, valid: Int): Tensor {
        require(video.dimensions.sequence(valid) == audio.dimensions.sequence(valid)) {
            "the connectors give different lengths for $valid tokens: ${video.dimensions.sequence(valid)} and ${audio.dimensions.sequence(valid)}"
        }
        val features = Ltx2FeatureExtractor.features(g.nn, stacked, valid)
        val hidden = stacked.ne(0)
        val v = video.build(g, w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR),
            Ltx2FeatureExtractor.project(g.nn, w.at(Ltx2TextArchitecture.VIDEO_AGGREGATE), features, hidden))
        val a = audio.build(g, w.at(Ltx2TextArchitecture.AUDIO_CONNECTOR),
            Ltx2FeatureExtractor.project(g.nn, w.at(Ltx2TextArchitecture.AUDIO_AGGREGATE), features, hidden))
        return g.nn.ctx.concat(v, a, 0)
    }

    /** [build] over a graph input [STATES] f32 [hidden, tokens, planes], for stacks computed by another graph. */
    fun build(g: CompiledGraph.Builder, w: Weights, hidden: Long, tokens: Long, planes: Long, valid: Int): Tensor =
        build(g, w, g.input(STATES, GgmlType.F32, hidden, tokens, planes), valid)

    /** Sets both connectors' inputs for [valid] prompt tokens (the stack, if an input, is the caller's). */
    fun setInputs(graph: CompiledGraph, valid: Int) {
        video.setInputs(graph, valid)
        audio.setInputs(graph, valid)
    }

    companion object {
        /** The graph input of stacked hidden states, when [build] declares it. */
        const val STATES = "ltx2_hidden_states"

        /** Both connectors as the text-connectors component's weights [w] give them. */
        fun of(w: Weights) = Ltx2TextContext(
            Ltx2Connector.of(w.at(Ltx2TextArchitecture.VIDEO_CONNECTOR), "ltx2_video_connector"),
            Ltx2Connector.of(w.at(Ltx2TextArchitecture.AUDIO_CONNECTOR), "ltx2_audio_connector"),
        )
    }
}
