package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights
import dev.sdj.core.model.Component
import kotlin.math.ceil

/** One `ups.N` of the vocoder and the AMP blocks after it: a transposed convolution from [inChannels] to [channels]. */
data class Ltx2VocoderLevel(val index: Int, val rate: Int, val kernel: Int, val inChannels: Long, val channels: Long) {
    /** The transposed convolution's padding, cut from both ends, so that T frames become exactly [rate]·T. */
    val padding: Int get() = (kernel - rate) / 2
}

/**
 * The sizes of one BigVGAN-v2 generator of LTX-2.3's vocoder (`vocoder.*` of the component, the checkpoint's
 * `vocoder.vocoder.*`), read from its weights; the upsampling rates and the residual blocks' dilations are not in the
 * weights and are sd.cpp's constants. LTX-2.3's: conv_pre 128 (2 channels × 64 mel bins) → 1536, six upsamplings
 * ×5 ×2 ×2 ×2 ×2 ×2 (kernels 11, 4, 4, 4, 4, 4) halving the channels to 24, three AMP blocks after each (kernels 3, 7, 11,
 * dilations 1, 3, 5), act_post, conv_post 24 → 2 without bias: 160 samples per mel frame, 16 kHz from 100 frames a second.
 *
 * @param inputChannels conv_pre's inputs: [audioChannels] × mel bins
 * @param preKernel conv_pre's taps (zero-padded to keep the length)
 * @param levels the `ups.N` in order
 * @param blockKernels the taps of the AMP blocks after every level, in order (`resblocks.{level·n + j}`)
 * @param dilations the dilations of each AMP block's three dilated convolutions
 * @param filterTaps the taps of every anti-aliasing filter (up- and downsampling ×2)
 * @param postKernel conv_post's taps
 * @param postBias whether conv_post has a bias
 * @param audioChannels conv_post's outputs (stereo: 2)
 */
data class Ltx2VocoderDimensions(
    val inputChannels: Long,
    val preChannels: Long,
    val preKernel: Int,
    val levels: List<Ltx2VocoderLevel>,
    val blockKernels: List<Int>,
    val dilations: List<Int>,
    val filterTaps: Int,
    val postKernel: Int,
    val postBias: Boolean,
    val audioChannels: Long,
) {
    /** Mel bins per audio channel. */
    val melBins: Long get() = inputChannels / audioChannels

    /** Samples per mel frame (LTX-2.3: 160). */
    val hop: Int get() = levels.fold(1) { s, l -> s * l.rate }

    /**
     * Mel frames on either side of a frame that its samples depend on: the receptive field's half-width, summed over
     * the layers in each layer's own time unit (a level's samples are [hop]-ths of a frame after the last level) and
     * rounded up. Chunks that give each kept frame this much real context on both sides decode it exactly as the whole
     * clip does ([Ltx2VocoderChunking]). LTX-2.3's: 44 frames.
     */
    val reach: Int
        get() {
            var frames = half(preKernel).toDouble()
            var rate = 1
            for (level in levels) {
                // an output sample reads the inputs within ceil(kernel / rate) of its own position
                frames += ceil(level.kernel.toDouble() / level.rate) / rate
                rate *= level.rate
                val block = blockKernels.maxOf { k -> dilations.sumOf { d -> 2 * ANTI_ALIAS_REACH + half(k) * d + half(k) } }
                frames += block.toDouble() / rate
            }
            frames += (ANTI_ALIAS_REACH + half(postKernel)).toDouble() / rate
            return ceil(frames).toInt()
        }

    companion object {
        /** sd.cpp's upsampling rates of LTX-2.3's vocoder (×160: 100 mel frames a second → 16 kHz). */
        val RATES = listOf(5, 2, 2, 2, 2, 2)

        /** sd.cpp's dilations of every AMP block's dilated convolutions. */
        val DILATIONS = listOf(1, 3, 5)

        /** LTX-2.3's base vocoder as sd.cpp builds it from the checkpoint (ltx_audio_vae's LTXAudioVAEConfig). */
        @JvmField
        val LTX_2_3 = Ltx2VocoderDimensions(
            inputChannels = 128, preChannels = 1536, preKernel = 7,
            levels = (0 until 6).map { i -> Ltx2VocoderLevel(i, RATES[i], if (i == 0) 11 else 4, 1536L shr i, 1536L shr (i + 1)) },
            blockKernels = listOf(3, 7, 11), dilations = DILATIONS, filterTaps = FILTER_TAPS, postKernel = 7, postBias = false, audioChannels = 2,
        )

        /** The anti-aliased activation resamples ×2 up and down (BigVGAN's Activation1d). */
        const val ANTI_ALIAS_RATIO = 2

        /**
         * Input samples on either side an anti-aliased activation reads, for 12-tap filters: the upsampler's output
         * 2t, 2t + 1 reads x[t − 3 … t + 3], the downsampler's output t reads the doubled signal at 2t − 5 … 2t + 6.
         */
        private const val ANTI_ALIAS_REACH = 6

        private fun half(kernel: Int) = kernel / 2

        /**
         * @param w a generator's weights (`conv_pre`, `ups.N`, `resblocks.N`, `act_post`, `conv_post`)
         * @param name the generator's name under the component, for messages
         * @param rates its upsampling rates (not in the weights)
         */
        @JvmOverloads
        fun of(w: Weights, name: String = Ltx2Vocoding.GENERATOR, rates: List<Int> = RATES): Ltx2VocoderDimensions =
            of(name, rates) { n -> if (w.has(n)) w.get(n).shape().toList() else null }

        /** The dimensions of the vocoder whose tensors the VOCODER [component] holds (before anything loads). */
        fun of(component: Component): Ltx2VocoderDimensions = of(Ltx2Vocoding.GENERATOR, RATES) { n -> component.tensors["${Ltx2Vocoding.GENERATOR}.$n"]?.shape }

        /**
         * The dimensions from the tensors' ggml shapes of the generator [name] (upsampling at [rates]), [shape] null for
         * an absent tensor (names relative to the generator).
         * @throws IllegalArgumentException naming a tensor that is absent or whose shape does not fit the others
         */
        fun of(name: String, rates: List<Int>, shape: (String) -> List<Long>?): Ltx2VocoderDimensions {
            val w = ShapeLookup(shape)
            fun tensor(n: String) = if (w.has(n)) w.get(n) else throw IllegalArgumentException("the LTX-2 vocoder has no '$name.$n'")
            fun require(ok: Boolean, n: String, what: () -> String) = require(ok) { "'$name.$n' ${what()}" }

            val pre = tensor("conv_pre.weight")
            val audio = tensor("conv_post.weight").ne(2)
            require(pre.ne(3) == 1L && pre.ne(1) % audio == 0L, "conv_pre.weight") { "($pre) does not read $audio audio channels of mel bins" }
            require(pre.ne(0) % 2 == 1L, "conv_pre.weight") { "($pre) has an even number of taps; the vocoder keeps the length" }
            var channels = pre.ne(2)
            require(tensor("conv_pre.bias").ne(0) == channels, "conv_pre.bias") { "does not hold $channels values" }

            val ups = generateSequence(0) { it + 1 }.takeWhile { w.has("ups.$it.weight") }.toList()
            require(ups.size == rates.size) { "the LTX-2 vocoder '$name' has ${ups.size} upsamplers (ups.N), not ${rates.size}" }
            val levels = ups.map { i ->
                val up = tensor("ups.$i.weight")
                val rate = rates[i]
                // ConvTranspose1d's weight [Cin, Cout, K] is ggml's [K, Cout, Cin]
                require(up.ne(2) == channels && up.ne(3) == 1L, "ups.$i.weight") { "($up) does not read the $channels channels before it" }
                require(up.ne(0) >= rate && (up.ne(0) - rate) % 2 == 0L, "ups.$i.weight") {
                    "has ${up.ne(0)} taps: upsampling ×$rate needs at least $rate and an even excess to pad both ends alike"
                }
                require(tensor("ups.$i.bias").ne(0) == up.ne(1), "ups.$i.bias") { "does not hold ${up.ne(1)} values" }
                Ltx2VocoderLevel(i, rate, up.ne(0).toInt(), channels, up.ne(1)).also { channels = it.channels }
            }

            val blocks = generateSequence(0) { it + 1 }.takeWhile { w.has("resblocks.$it.convs1.0.weight") }.count()
            require(blocks > 0 && blocks % levels.size == 0) {
                "the LTX-2 vocoder '$name' has $blocks AMP blocks (resblocks.N), not the same number after each of its ${levels.size} upsamplers"
            }
            val perLevel = blocks / levels.size
            val kernels = (0 until perLevel).map { tensor("resblocks.$it.convs1.0.weight").ne(0).toInt() }
            val dilations = DILATIONS
            val taps = tensor("act_post.upsample.filter").ne(0).toInt()
            for (level in levels) for (j in 0 until perLevel) {
                val b = "resblocks.${level.index * perLevel + j}"
                for (i in dilations.indices) for (conv in listOf("convs1", "convs2")) {
                    val k = tensor("$b.$conv.$i.weight")
                    require(k.ne(0) == kernels[j].toLong() && k.ne(1) == level.channels && k.ne(2) == level.channels, "$b.$conv.$i.weight") {
                        "($k) is not a ${kernels[j]}-tap convolution of the level's ${level.channels} channels"
                    }
                    require(kernels[j] % 2 == 1, "$b.$conv.$i.weight") { "has an even number of taps; the vocoder keeps the length" }
                    require(tensor("$b.$conv.$i.bias").ne(0) == level.channels, "$b.$conv.$i.bias") { "does not hold ${level.channels} values" }
                }
                require(!w.has("$b.convs1.${dilations.size}.weight"), "$b.convs1.${dilations.size}.weight") {
                    "is one convolution more than the ${dilations.size} dilations sd.cpp knows"
                }
                for (i in dilations.indices) for (act in listOf("acts1", "acts2")) checkActivation(w, name, "$b.$act.$i", level.channels, taps)
            }
            checkActivation(w, name, "act_post", channels, taps)

            val post = tensor("conv_post.weight")
            require(post.ne(1) == channels && post.ne(0) % 2 == 1L, "conv_post.weight") { "($post) is not an odd-tap convolution of the last level's $channels channels" }
            val bias = w.has("conv_post.bias")
            if (bias) require(w.get("conv_post.bias").ne(0) == audio, "conv_post.bias") { "does not hold $audio values" }
            return Ltx2VocoderDimensions(pre.ne(1), pre.ne(2), pre.ne(0).toInt(), levels, kernels, dilations, taps, post.ne(0).toInt(), bias, audio)
        }

        private fun checkActivation(w: ShapeLookup, name: String, act: String, channels: Long, taps: Int) {
            for (p in listOf("alpha", "beta")) {
                val n = "$act.act.$p"
                require(w.has(n)) { "the LTX-2 vocoder has no '$name.$n'" }
                require(w.get(n).ne(0) == channels && w.get(n).elementCount() == channels) { "'$name.$n' (${w.get(n)}) does not hold $channels values" }
            }
            for (f in listOf("upsample.filter", "downsample.lowpass.filter")) {
                val n = "$act.$f"
                require(w.has(n)) { "the LTX-2 vocoder has no '$name.$n'" }
                require(w.get(n).ne(0) == taps.toLong() && w.get(n).elementCount() == taps.toLong()) {
                    "'$name.$n' (${w.get(n)}) is not a filter of $taps taps as act_post's"
                }
            }
            require(taps == FILTER_TAPS) { "'$name.$act' has anti-aliasing filters of $taps taps; sd.cpp's LTX-2.3 vocoder has $FILTER_TAPS" }
        }

        /** A tensor's ggml shape by name, shown as ggml shows a tensor's in messages. */
        private class ShapeLookup(private val shape: (String) -> List<Long>?) {
            fun has(name: String) = shape(name) != null
            fun get(name: String) = Shape(shape(name) ?: throw IllegalArgumentException("no weight '$name'"))
        }

        private class Shape(private val ne: List<Long>) {
            fun ne(i: Int): Long = ne.getOrElse(i) { 1L }
            fun elementCount(): Long = ne.fold(1L) { a, b -> a * b }
            override fun toString() = ne.joinToString(prefix = "[", postfix = "]")
        }

        /** BigVGAN's anti-aliasing filters at ratio 2: 12 taps (6 per side of the ratio). */
        const val FILTER_TAPS = 12
    }
}
