package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * Runs LTX-2.3's vocoder over a log-mel in the windows of [chunking] (host side): one graph of the window length
 * ([key], [graph]: what a phase gives the planner to measure at a request's length), compiled once in the caller's
 * [GraphSession] and run per window, the kept samples of each appended. "vocoding" progress per window, cancellation
 * checked before each, every window's output checked for non-finite values.
 *
 * With a bandwidth extension in the weights ([Ltx2BweDimensions]) each window runs the whole chain, base generator then
 * extension, and gives 48 kHz; the default windows' context is then the chain's reach, so windowed decodes still equal
 * the whole one.
 *
 * @param vocoder the component's weights (`vocoder.*`, as [Ltx2Weights] gives [dev.sdj.core.model.ComponentKind.VOCODER])
 */
class Ltx2Vocoding(private val vocoder: Weights, private val chunking: Ltx2VocoderChunking? = null) {
    private val weights = vocoder.at(GENERATOR)
    val generator = Ltx2Vocoder(Ltx2VocoderDimensions.of(weights))

    /** The bandwidth extension, when the vocoder has `bwe_generator.*`. */
    val extension: Ltx2BandwidthExtension? = Ltx2BweDimensions.of(vocoder, generator.dimensions)?.let(::Ltx2BandwidthExtension)

    /** 16 kHz, or 48 kHz with the extension. */
    val sampleRate: Int = if (extension == null) SAMPLE_RATE else Ltx2BweDimensions.SAMPLE_RATE

    /** Output samples per mel frame: the base hop (160), × 3 with the extension. */
    val samplesPerFrame: Int = generator.dimensions.hop * (if (extension == null) 1 else Ltx2BweDimensions.RATIO)

    /** Mel frames on either side of a frame that its output depends on (the whole chain's with the extension). */
    val reach: Int = extension?.dimensions?.reach(generator.dimensions) ?: generator.dimensions.reach

    private val windows = chunking ?: Ltx2VocoderChunking(Ltx2VocoderChunking.DEFAULT_FRAMES, reach)

    /** The graph a decode of [frames] mel frames compiles, by the name it is measured and compiled under. */
    fun key(frames: Int): GraphKey = GraphKey("ltx2 vocoder${if (extension == null) "" else " + bwe"} ${windows.length(frames)} frames")

    fun graph(frames: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        val d = generator.dimensions
        val mel = g.input(Ltx2Vocoder.INPUT, GgmlType.F32, d.melBins, windows.length(frames).toLong(), d.audioChannels)
        val taps = g.input(Ltx2Vocoder.TAPS, GgmlType.I32, generator.upsampleTaps.size.toLong())
        val wave = generator.generate(g.nn.ctx, weights, mel, taps)
        extension?.let { e ->
            val kernel = g.input(Ltx2BandwidthExtension.RESAMPLER, GgmlType.F32, Ltx2HannResampler.WINDOW.toLong(), e.resampler.ratio.toLong())
            e.extend(g.nn.ctx, vocoder, wave, taps, kernel)
        } ?: wave
    }

    /**
     * @param mel the audio decoder's log-mel [mel bins, frames, audio channels] in ggml order (C order [channel][frame][bin])
     * @return the samples, [samplesPerFrame] per frame, at [sampleRate]
     */
    fun decode(mel: FloatArray, frames: Int, session: GraphSession, progress: ProgressListener = ProgressListener.NONE,
               cancel: CancellationToken = CancellationToken()): Ltx2Waveform {
        val d = generator.dimensions
        val bins = d.melBins.toInt()
        val channels = d.audioChannels.toInt()
        require(frames >= 1 && mel.size.toLong() == frames.toLong() * bins * channels) {
            "a log-mel of ${mel.size} values is not $frames frames of $bins mel bins × $channels channels"
        }
        val hop = samplesPerFrame
        val plan = windows.windows(frames)
        val length = windows.length(frames)
        val graph = session.compile(key(frames), build = graph(frames))
        val out = FloatArray(frames * hop * channels)
        progress.onProgress(PHASE, 0, plan.size)
        plan.forEachIndexed { i, w ->
            if (cancel.isCancelled) throw GenerationCancelledException(i, plan.size)
            graph.input(Ltx2Vocoder.INPUT).setFloats(slice(mel, frames, bins, channels, w.start, length))
            // every run: the allocator lends an input's memory to later nodes once its readers are done
            graph.input(Ltx2Vocoder.TAPS).setInts(generator.upsampleTaps)
            extension?.let { graph.input(Ltx2BandwidthExtension.RESAMPLER).setFloats(it.resampler.polyphase) }
            val samples = graph.run(session.backend)
            FiniteValues.require(samples) { PHASE }
            val windowSamples = length * hop
            for (c in 0 until channels) {
                System.arraycopy(samples, c * windowSamples + (w.keepFrom - w.start) * hop, out, c * frames * hop + w.keepFrom * hop,
                    (w.keepTo - w.keepFrom) * hop)
            }
            progress.onProgress(PHASE, i + 1, plan.size)
        }
        return Ltx2Waveform(sampleRate, channels, out)
    }

    /** Frames [start, start + length) of every channel, in the same layout. */
    private fun slice(mel: FloatArray, frames: Int, bins: Int, channels: Int, start: Int, length: Int): FloatArray {
        val part = FloatArray(length * bins * channels)
        for (c in 0 until channels) System.arraycopy(mel, (c * frames + start) * bins, part, c * length * bins, length * bins)
        return part
    }


    companion object {
        const val PHASE = "vocoding"

        /** The base vocoder's generator under the component (the checkpoint's `vocoder.vocoder.*`). */
        const val GENERATOR = "vocoder"

        /**
         * Whether the vocoder's tensor [name] (without `vocoder.`) stays f32 on the device: the transposed convolutions'
         * kernels (ggml-vulkan's conv_transpose_1d takes only f32 ones; cast in the graph they would take the compute
         * buffer 52 MiB at LTX-2.3's size) and the STFT and mel bases (a product's operands, never to be quantized).
         */
        fun keepsF32(name: String): Boolean = KEPT_F32.matches(name)

        private val KEPT_F32 = Regex("""(?:$GENERATOR|${Ltx2BweDimensions.GENERATOR})\.ups\.\d+\.weight|mel_stft\..*""")

        /** LTX-2.3's base audio: 100 mel frames a second, 160 samples each. */
        const val SAMPLE_RATE = 16_000
    }
}
