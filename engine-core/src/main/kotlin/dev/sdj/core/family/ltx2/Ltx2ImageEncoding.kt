package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.core.pipeline.PhaseGraph

/**
 * The VAE's per-channel latent statistics (`per_channel_statistics.mean-of-means`, `std-of-means`): the encoder's
 * output is normalised with them, the decoder's input un-normalised.
 */
class Ltx2LatentStatistics(val mean: FloatArray, val std: FloatArray) {
    init {
        val c = Ltx2VideoVae.LATENT_CHANNELS.toInt()
        require(mean.size == c && std.size == c) { "LTX-2's latent statistics hold $c values each, not ${mean.size} and ${std.size}" }
        require(mean.all { it.isFinite() }) { "LTX-2's '${Ltx2VideoVae.MEAN}' holds a non-finite value" }
        std.forEachIndexed { i, s -> require(s.isFinite() && s > 0f) { "LTX-2's '${Ltx2VideoVae.STD}' of channel $i is $s, not a positive number" } }
    }

    companion object {
        /** Reads the statistics from the VAE component's loaded weights (f32, f16 or bf16). */
        fun of(vae: Weights): Ltx2LatentStatistics {
            fun read(stat: String): FloatArray {
                val name = "per_channel_statistics.$stat"
                require(vae.has(name)) { "the LTX-2 VAE has no '$name'" }
                return vae.get(name).getFloats()
            }
            return Ltx2LatentStatistics(read(Ltx2VideoVae.MEAN), read(Ltx2VideoVae.STD))
        }
    }
}

/**
 * Encodes one picture into the latent frame image-to-video conditions on: RGB in [-1, 1] → the normalised latent
 * [W/32, H/32, 1, 128] (ggml order, width fastest: the layout the sampler's latent has), through one graph compiled in
 * the caller's [GraphSession] under the key [graph] gives the planner to measure.
 *
 * @param weights the [dev.sdj.core.model.ComponentKind.VAE_ENCODER] component's (`encoder.*`)
 */
class Ltx2ImageEncoding(private val weights: Weights) {
    private val encoder = Ltx2VideoVaeEncoder(Ltx2VaeEncoderDimensions.of(weights))

    /** The graph of a [width]×[height] picture, as the planner measures it and [encode] runs it. */
    fun graph(width: Int, height: Int): PhaseGraph =
        PhaseGraph(encoder.key(width.toLong(), height.toLong(), 1), encoder.graph(weights, width.toLong(), height.toLong(), 1))

    /**
     * @param rgb the picture [width, height, 3] in ggml order (a plane per colour, as [dev.sdj.core.image.InitImage]
     *   reads it), in [-1, 1]
     * @param width the request's width, a multiple of 32
     * @param height the request's height, a multiple of 32
     * @param statistics the VAE component's ([Ltx2LatentStatistics.of])
     */
    fun encode(rgb: FloatArray, width: Int, height: Int, statistics: Ltx2LatentStatistics, session: GraphSession): FloatArray {
        require(rgb.size.toLong() == 3L * width * height) { "${rgb.size} values are not a ${width}x$height RGB picture" }
        val phaseGraph = graph(width, height)
        val compiled = session.compile(phaseGraph.key, phaseGraph.maxNodes, phaseGraph.build)
        compiled.input(Ltx2VideoVaeEncoder.INPUT).setFloats(rgb)
        compiled.input(Ltx2VideoVaeEncoder.MEAN).setFloats(statistics.mean)
        compiled.input(Ltx2VideoVaeEncoder.STD).setFloats(statistics.std)
        val latent = compiled.run(session.backend)
        FiniteValues.require(latent) { PHASE }
        return latent
    }

    companion object {
        const val PHASE = "encoding the first frame"
    }
}
