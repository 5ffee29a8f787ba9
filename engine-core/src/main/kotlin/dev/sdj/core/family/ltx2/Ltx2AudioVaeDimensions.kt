package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights
import dev.sdj.core.model.Component

/**
 * One `decoder.up.N` of LTX-2's audio decoder: [blocks] residual blocks, the first mapping [inChannels] to [channels]
 * (through a 1×1 `nin_shortcut` when they differ), then, when [upsamples], a nearest ×2 upsampler with its convolution.
 */
data class Ltx2AudioVaeLevel(val index: Int, val inChannels: Long, val channels: Long, val blocks: Int, val upsamples: Boolean)

/**
 * The sizes of LTX-2's audio VAE decoder, read from its weights (names without `audio_vae.`, as [Ltx2Weights] gives
 * the AUDIO_VAE component). LTX-2.3's, as sd.cpp's ltx_audio_vae builds it: latent 8 channels × 16 mel bins;
 * conv_in 8 → 512; mid blocks 2 @512; up.2: 3 blocks @512, upsample; up.1: 3 blocks 512 → 256, upsample; up.0: 3
 * blocks 256 → 128; conv_out 128 → 2 (stereo).
 *
 * @param latentChannels conv_in's inputs
 * @param latentBins mel bins per latent frame: the per-channel statistics hold one value per (channel, bin)
 * @param hidden conv_in's outputs, the mid blocks' width
 * @param midBlocks the `mid.block_1 …` residual blocks
 * @param levels the `up.N`, in the order they run (N descending)
 * @param audioChannels conv_out's outputs
 */
data class Ltx2AudioVaeDimensions(
    val latentChannels: Long,
    val latentBins: Long,
    val hidden: Long,
    val midBlocks: Int,
    val levels: List<Ltx2AudioVaeLevel>,
    val audioChannels: Long,
) {
    private val upsamplings: Int get() = levels.count { it.upsamples }

    /** The channels conv_out reads. */
    val outHidden: Long get() = levels.lastOrNull()?.channels ?: hidden

    /** Mel bins of the decoded spectrogram: each upsampler doubles the bins (LTX-2.3: 16 → 64). */
    val melBins: Long get() = latentBins shl upsamplings

    /** Mel frames decoded from [length] latent frames: each upsampler doubles the time and drops its first row (4L − 3). */
    fun melFrames(length: Int): Int = ((length - 1) shl upsamplings) + 1

    companion object {
        const val MEAN = "per_channel_statistics.mean-of-means"
        const val STD = "per_channel_statistics.std-of-means"

        /** LTX-2.3's decoder, as sd.cpp's detect_from_weights reads the released checkpoint. */
        @JvmField
        val LTX_2_3 = Ltx2AudioVaeDimensions(
            latentChannels = 8, latentBins = 16, hidden = 512, midBlocks = 2,
            levels = listOf(
                Ltx2AudioVaeLevel(2, 512, 512, 3, upsamples = true),
                Ltx2AudioVaeLevel(1, 512, 256, 3, upsamples = true),
                Ltx2AudioVaeLevel(0, 256, 128, 3, upsamples = false),
            ),
            audioChannels = 2,
        )

        /** @param vae the AUDIO_VAE component's weights (`decoder.*`, `per_channel_statistics.*`) */
        fun of(vae: Weights): Ltx2AudioVaeDimensions = of { name -> if (vae.has(name)) vae.get(name).shape().toList() else null }

        /** The dimensions of the audio VAE whose tensors [component] holds (before anything loads). */
        fun of(component: Component): Ltx2AudioVaeDimensions = of { name -> component.tensors[name]?.shape }

        /**
         * The dimensions from the tensors' ggml shapes, [shape] null for an absent tensor.
         * @throws NoSuchElementException naming a tensor the dimensions need that is absent
         * @throws IllegalArgumentException naming a tensor whose shape does not fit the others
         */
        fun of(shape: (String) -> List<Long>?): Ltx2AudioVaeDimensions {
            fun dims(name: String) = shape("decoder.$name.conv.weight") ?: throw NoSuchElementException("no weight 'decoder.$name.conv.weight'")
            // a 2-D kernel in ggml order: [KW, KH, Cin, Cout]
            fun inputs(name: String) = dims(name)[2]
            fun outputs(name: String) = dims(name)[3]
            fun has(name: String) = shape("decoder.$name.conv.weight") != null
            val latentChannels = inputs("conv_in")
            val hidden = outputs("conv_in")
            val stats = shape(STD) ?: throw NoSuchElementException("no '$STD'")
            val values = stats.fold(1L) { a, b -> a * b }
            require(values % latentChannels == 0L) { "'$STD' holds $values values, not a whole number of bins for $latentChannels latent channels" }
            require(shape(MEAN)?.fold(1L) { a, b -> a * b } == values) { "'$MEAN' does not hold the $values values '$STD' holds" }
            var channels = hidden
            fun block(name: String): Long {
                val out = outputs("$name.conv1")
                require(inputs("$name.conv1") == channels) { "decoder.$name.conv1 reads ${inputs("$name.conv1")} channels; the block before gives $channels" }
                require(inputs("$name.conv2") == out && outputs("$name.conv2") == out) { "decoder.$name.conv2 does not map conv1's $out channels to $out" }
                if (out != channels) {
                    require(has("$name.nin_shortcut")) { "decoder.$name maps $channels to $out channels but has no nin_shortcut" }
                    require(inputs("$name.nin_shortcut") == channels && outputs("$name.nin_shortcut") == out) {
                        "decoder.$name.nin_shortcut does not map $channels to $out channels"
                    }
                }
                return out
            }
            val midBlocks = generateSequence(1) { it + 1 }.takeWhile { has("mid.block_$it.conv1") }.count()
            for (j in 1..midBlocks) {
                require(block("mid.block_$j") == hidden) { "decoder.mid.block_$j changes the mid blocks' $hidden channels" }
            }
            val count = generateSequence(0) { it + 1 }.takeWhile { has("up.$it.block.0.conv1") }.count()
            require(count > 0) { "the audio decoder has no 'decoder.up.0.block.0'" }
            val levels = (count - 1 downTo 0).map { i ->
                val inChannels = channels
                val blocks = generateSequence(0) { it + 1 }.takeWhile { has("up.$i.block.$it.conv1") }.count()
                for (j in 0 until blocks) channels = block("up.$i.block.$j")
                val upsamples = has("up.$i.upsample.conv")
                if (upsamples) {
                    val conv = "up.$i.upsample.conv"
                    require(inputs(conv) == channels && outputs(conv) == channels) { "decoder.$conv does not keep the level's $channels channels" }
                }
                Ltx2AudioVaeLevel(i, inChannels, channels, blocks, upsamples)
            }
            require(inputs("conv_out") == channels) { "decoder.conv_out reads ${inputs("conv_out")} channels; the last level gives $channels" }
            return Ltx2AudioVaeDimensions(latentChannels, values / latentChannels, hidden, midBlocks, levels, outputs("conv_out"))
        }
    }
}
