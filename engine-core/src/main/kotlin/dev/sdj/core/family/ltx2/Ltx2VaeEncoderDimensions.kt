package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights

/** One `encoder.down_blocks.N` of LTX-2's video encoder, as its weights describe it. */
sealed interface Ltx2VaeEncoderLevel {
    /** The N of `down_blocks.N`. */
    val index: Int

    /** `res_x`: [blocks] PixelNorm residual blocks at [channels] (the encoder's are never timestep-conditioned). */
    data class Residual(override val index: Int, val channels: Long, val blocks: Int) : Ltx2VaeEncoderLevel

    /**
     * `compress_space_res` (time 1, space 2), `compress_time_res` (2, 1) or `compress_all_res` (2, 2): space-to-depth
     * from [inChannels] to [outChannels], two paths added. The convolution gives [convOutputs] channels, which
     * space-to-depth multiplies by [time]·[space]²; the skip path space-to-depths the input and averages each run of
     * [group] consecutive channels.
     */
    data class Downsample(override val index: Int, val inChannels: Long, val outChannels: Long, val time: Int, val space: Int) : Ltx2VaeEncoderLevel {
        val factor: Int get() = time * space * space
        val convOutputs: Long get() = outChannels / factor
        val group: Long get() = inChannels * factor / outChannels
    }
}

/**
 * The sizes of LTX-2's video encoder, read from its weights (the [dev.sdj.core.model.ComponentKind.VAE_ENCODER]
 * component: names `encoder.*` as the checkpoint holds them under `vae.`). LTX-2.3's, as sd.cpp traces it
 * (ltxvae.hpp, ltx2_22b_enc_specs): conv_in 48 → 128; res 4; space ×2 → 256; res 6; time ×2 → 512; res 4; all ×2 → 1024;
 * res 2; all ×2 at 1024; res 2; conv_out 1024 → 129 (128 means and one shared log-variance).
 *
 * @param hidden conv_in's outputs
 * @param levels the down_blocks in order
 */
data class Ltx2VaeEncoderDimensions(val hidden: Long, val levels: List<Ltx2VaeEncoderLevel>) {
    /** The channels conv_out reads. */
    val outHidden: Long get() = levels.fold(hidden) { c, l -> if (l is Ltx2VaeEncoderLevel.Downsample) l.outChannels else c }

    /** Input frames per latent frame after the first (LTX-2: 8). */
    val timeScale: Int get() = levels.filterIsInstance<Ltx2VaeEncoderLevel.Downsample>().fold(1) { s, l -> s * l.time }

    /** Input pixels per latent cell on each axis (LTX-2: 32). */
    val spaceScale: Int get() = levels.filterIsInstance<Ltx2VaeEncoderLevel.Downsample>().fold(Ltx2VideoVae.PATCH) { s, l -> s * l.space }

    /** Latent frames from [frames] input frames (1 + [timeScale]·k): the first gives one, every [timeScale] more another. */
    fun latentFrames(frames: Int): Int {
        require(frames >= 1 && (frames - 1) % timeScale == 0) { "LTX-2's encoder takes 1 + $timeScale·k frames, not $frames" }
        return (frames - 1) / timeScale + 1
    }

    companion object {

        /** conv_out's outputs: the latent means and one log-variance shared by every channel (ltx_core's UNIFORM). */
        const val CONV_OUT_CHANNELS = Ltx2VideoVae.LATENT_CHANNELS + 1

        /** LTX-2.3's encoder as sd.cpp traces it from the checkpoint. */
        @JvmField
        val LTX_2_3 = Ltx2VaeEncoderDimensions(
            hidden = 128,
            levels = listOf(
                Ltx2VaeEncoderLevel.Residual(0, 128, 4),
                Ltx2VaeEncoderLevel.Downsample(1, 128, 256, time = 1, space = 2),
                Ltx2VaeEncoderLevel.Residual(2, 256, 6),
                Ltx2VaeEncoderLevel.Downsample(3, 256, 512, time = 2, space = 1),
                Ltx2VaeEncoderLevel.Residual(4, 512, 4),
                Ltx2VaeEncoderLevel.Downsample(5, 512, 1024, time = 2, space = 2),
                Ltx2VaeEncoderLevel.Residual(6, 1024, 2),
                Ltx2VaeEncoderLevel.Downsample(7, 1024, 1024, time = 2, space = 2),
                Ltx2VaeEncoderLevel.Residual(8, 1024, 2),
            ),
        )

        /** @param vae the encoder component's weights (`encoder.*`) */
        fun of(vae: Weights): Ltx2VaeEncoderDimensions {
            val e = vae.at("encoder")
            val convs = Ltx2VaeConvs(e, "encoder", "down_blocks")
            val pixels = (Ltx2VideoVae.COLOURS * Ltx2VideoVae.PATCH * Ltx2VideoVae.PATCH).toLong()
            require(convs.inputs("conv_in") == pixels) { "encoder.conv_in reads ${convs.inputs("conv_in")} channels, not $pixels (3 colours × 4 × 4 pixels)" }
            val hidden = convs.outputs("conv_in")
            val levels = ArrayList<Ltx2VaeEncoderLevel>()
            var channels = hidden
            var i = 0
            while (true) {
                val block = "down_blocks.$i"
                if (e.has("$block.res_blocks.0.conv1.conv.weight")) {
                    val blocks = convs.residualBlocks(block, channels)
                    levels += Ltx2VaeEncoderLevel.Residual(i, channels, blocks)
                } else if (e.has("$block.conv.conv.weight")) {
                    val conv = "$block.conv"
                    require(convs.inputs(conv) == channels) { "encoder.$conv reads ${convs.inputs(conv)} channels; the level before gives $channels" }
                    val next = convs.inputs(convs.next(i + 1))
                    val out = convs.outputs(conv)
                    val (time, space) = when (if (next % out == 0L) next / out else 0L) {
                        8L -> 2 to 2
                        4L -> 1 to 2
                        2L -> 2 to 1
                        else -> throw IllegalArgumentException(
                            "encoder.$conv gives $out channels, not a half, quarter or eighth of the $next the next level reads")
                    }
                    require((channels * time * space * space) % next == 0L) {
                        "encoder.$conv: $channels channels space-to-depth into ${channels * time * space * space}, which do not average into $next"
                    }
                    levels += Ltx2VaeEncoderLevel.Downsample(i, channels, next, time, space)
                    channels = next
                } else break
                i++
            }
            require(convs.inputs("conv_out") == channels) { "encoder.conv_out reads ${convs.inputs("conv_out")} channels; the last level gives $channels" }
            require(convs.outputs("conv_out") == CONV_OUT_CHANNELS) {
                "encoder.conv_out gives ${convs.outputs("conv_out")} channels, not $CONV_OUT_CHANNELS (128 means and one log-variance)"
            }
            return Ltx2VaeEncoderDimensions(hidden, levels)
        }
    }
}
