package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights

/**
 * A decoded log-mel spectrogram: [channels] planes of [frames] rows of [bins] values (ggml order [bins, frames,
 * channels], C order [channels][frames][bins]), the layout sd.cpp's vocoder reads.
 */
class Ltx2Mel(val bins: Int, val frames: Int, val channels: Int, val values: FloatArray) {
    init {
        require(values.size.toLong() == bins.toLong() * frames * channels) { "${values.size} values are not $channels × $frames × $bins" }
    }
}

/**
 * Decodes LTX-2's denoised audio latent ([Ltx2AudioVideo.audio]: [bins, length, channels] in ggml order, bins fastest,
 * exactly the decoder's input, so it is handed over unchanged) to a log-mel spectrogram with [vae] in one graph,
 * compiled in the caller's [GraphSession] under [key] (the planner measures the same graph, [Ltx2AudioVae.graph] at
 * the request's [Ltx2VideoShape.audioLength]).
 */
class Ltx2AudioDecoding(private val vae: Ltx2AudioVae, private val weights: Weights) {

    fun decode(latent: FloatArray, length: Int, session: GraphSession): Ltx2Mel {
        val d = vae.dimensions
        require(latent.size.toLong() == d.latentBins * length * d.latentChannels) {
            "an audio latent of ${latent.size} values is not $length frames of ${d.latentChannels} channels × ${d.latentBins} bins"
        }
        val graph = session.compile(key(length), build = vae.graph(weights, length))
        graph.input(Ltx2AudioVae.INPUT).setFloats(latent)
        val mel = graph.run(session.backend)
        FiniteValues.require(mel) { PHASE }
        return Ltx2Mel(d.melBins.toInt(), d.melFrames(length), d.audioChannels.toInt(), mel)
    }

    companion object {
        const val PHASE = "audio decoding"

        /** The name the decoder's graph for a latent of [length] frames is compiled and measured under. */
        fun key(length: Int) = GraphKey("ltx2 audio vae, $length latent frames")
    }
}
