package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights

/** One `decoder.up_blocks.N` of LTX-2's video decoder, as its weights describe it. */
sealed interface Ltx2VaeLevel {
    /** The N of `up_blocks.N`. */
    val index: Int

    /**
     * `res_x`: [blocks] PixelNorm residual blocks at [channels]; [conditioned] when the level has its own
     * `time_embedder` and each block a `scale_shift_table`.
     */
    data class Residual(override val index: Int, val channels: Long, val blocks: Int, val conditioned: Boolean) : Ltx2VaeLevel

    /**
     * `compress_all` (time 2, space 2), `compress_time` (2, 1) or `compress_space` (1, 2): a convolution from
     * [inChannels] to [outChannels]·[time]·[space]², then depth-to-space into [outChannels].
     */
    data class Upsample(override val index: Int, val inChannels: Long, val outChannels: Long, val time: Int, val space: Int) : Ltx2VaeLevel {
        val convOutputs: Long get() = outChannels * time * space * space
    }
}

/**
 * The sizes of LTX-2's video decoder, read from its weights (names as the checkpoint holds them under `vae.`, with that
 * prefix stripped). LTX-2.3's, as sd.cpp traces it: conv_in 128 → 1024; res 2 @1024; all ×2 → 512; res 2; all ×2 → 512;
 * res 4; time ×2 → 256; res 6; space ×2 → 128; res 4; conv_out 128 → 48 = 3 colours × 4 × 4 pixels.
 *
 * @param hidden conv_in's outputs
 * @param levels the up_blocks in order
 * @param conditioned whether the final norm is modulated by the decode timestep (`timestep_scale_multiplier`,
 *   `last_time_embedder`, `last_scale_shift_table`)
 */
data class Ltx2VaeDimensions(val hidden: Long, val levels: List<Ltx2VaeLevel>, val conditioned: Boolean) {
    /** The channels conv_out reads. */
    val outHidden: Long get() = levels.fold(hidden) { c, l -> if (l is Ltx2VaeLevel.Upsample) l.outChannels else c }

    /** Output frames per latent frame after the first (LTX-2: 8). */
    val timeScale: Int get() = levels.filterIsInstance<Ltx2VaeLevel.Upsample>().fold(1) { s, l -> s * l.time }

    /** Output pixels per latent cell on each axis (LTX-2: 32). */
    val spaceScale: Int get() = levels.filterIsInstance<Ltx2VaeLevel.Upsample>().fold(Ltx2VideoVae.PATCH) { s, l -> s * l.space }

    /** Frames decoded from [latentFrames] latent frames: the first gives one, every other [timeScale]. */
    fun frames(latentFrames: Int): Int = (latentFrames - 1) * timeScale + 1

    companion object {

        /** LTX-2.3's decoder as sd.cpp traces it from the checkpoint (ltxvae.hpp, ltx2_22b_dec_specs). */
        @JvmField
        val LTX_2_3 = Ltx2VaeDimensions(
            hidden = 1024,
            levels = listOf(
                Ltx2VaeLevel.Residual(0, 1024, 2, false),
                Ltx2VaeLevel.Upsample(1, 1024, 512, time = 2, space = 2),
                Ltx2VaeLevel.Residual(2, 512, 2, false),
                Ltx2VaeLevel.Upsample(3, 512, 512, time = 2, space = 2),
                Ltx2VaeLevel.Residual(4, 512, 4, false),
                Ltx2VaeLevel.Upsample(5, 512, 256, time = 2, space = 1),
                Ltx2VaeLevel.Residual(6, 256, 6, false),
                Ltx2VaeLevel.Upsample(7, 256, 128, time = 1, space = 2),
                Ltx2VaeLevel.Residual(8, 128, 4, false),
            ),
            conditioned = false,
        )

        /** @param vae the VAE's weights (`decoder.*`, `per_channel_statistics.*`) */
        fun of(vae: Weights): Ltx2VaeDimensions {
            val d = vae.at("decoder")
            val convs = Ltx2VaeConvs(d, "decoder", "up_blocks")
            for (stat in listOf(Ltx2VideoVae.MEAN, Ltx2VideoVae.STD)) {
                val name = "per_channel_statistics.$stat"
                require(vae.has(name)) { "the LTX-2 VAE has no '$name'" }
                val n = vae.get(name).elementCount()
                require(n == Ltx2VideoVae.LATENT_CHANNELS) { "'$name' holds $n values, not one per ${Ltx2VideoVae.LATENT_CHANNELS} latent channels" }
            }
            val hidden = convs.outputs("conv_in")
            require(convs.inputs("conv_in") == Ltx2VideoVae.LATENT_CHANNELS) {
                "decoder.conv_in reads ${convs.inputs("conv_in")} channels, not ${Ltx2VideoVae.LATENT_CHANNELS}"
            }
            val levels = ArrayList<Ltx2VaeLevel>()
            var channels = hidden
            var i = 0
            while (true) {
                val block = "up_blocks.$i"
                if (d.has("$block.res_blocks.0.conv1.conv.weight")) {
                    val blocks = convs.residualBlocks(block, channels)
                    levels += Ltx2VaeLevel.Residual(i, channels, blocks, d.has("$block.time_embedder.timestep_embedder.linear_1.weight"))
                } else if (d.has("$block.conv.conv.weight")) {
                    val conv = "$block.conv"
                    require(convs.inputs(conv) == channels) { "decoder.$conv reads ${convs.inputs(conv)} channels; the level before gives $channels" }
                    val next = convs.inputs(convs.next(i + 1))
                    val out = convs.outputs(conv)
                    val (time, space) = when (if (out % next == 0L) out / next else 0L) {
                        8L -> 2 to 2
                        4L -> 1 to 2
                        2L -> 2 to 1
                        else -> throw IllegalArgumentException(
                            "decoder.$conv gives $out channels, not 2, 4 or 8 times the $next the next level reads")
                    }
                    levels += Ltx2VaeLevel.Upsample(i, channels, next, time, space)
                    channels = next
                } else break
                i++
            }
            require(convs.inputs("conv_out") == channels) { "decoder.conv_out reads ${convs.inputs("conv_out")} channels; the last level gives $channels" }
            val pixels = Ltx2VideoVae.COLOURS * Ltx2VideoVae.PATCH * Ltx2VideoVae.PATCH
            require(convs.outputs("conv_out") == pixels.toLong()) { "decoder.conv_out gives ${convs.outputs("conv_out")} channels, not $pixels" }
            val conditioned = d.has("timestep_scale_multiplier")
            if (conditioned) {
                for (name in listOf("last_time_embedder.timestep_embedder.linear_1.weight", "last_scale_shift_table")) {
                    require(d.has(name)) { "the LTX-2 decoder has timestep_scale_multiplier but no '$name'" }
                }
            }
            require(levels.none { it is Ltx2VaeLevel.Residual && it.conditioned } || conditioned) {
                "LTX-2 decoder levels have time embedders but the decoder has no timestep_scale_multiplier"
            }
            return Ltx2VaeDimensions(hidden, levels, conditioned)
        }
    }
}
