package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * LTX-2's audio-video DiT ([Ltx2DitGraph]) as one graph, over the DIFFUSION_MODEL component's weights (names with or
 * without `model.diffusion_model.`); every size is read from them ([Ltx2DitDimensions]).
 *
 * Inputs, all F32, to set before every run:
 * - [VIDEO] [W, H, F, 128]: the video latent, W × H cells of F latent frames, as sd.cpp holds it ([W, H, T, C]);
 * - [AUDIO] [16, L, 8]: the audio latent, L steps of 8 channels × 16 bins (sd.cpp's ggml order of [b, c, t, f]);
 * - [SIGMA] [1]: the sampler's σ (the graph multiplies it by 1000 where sd.cpp does);
 * - [VIDEO_SIGMA] [F], only in a graph built with token timesteps (image-to-video): each latent frame's σ for the
 *   video's AdaLN of the frame's tokens (sd.cpp's per-token timestep, whose mask is the same over a frame);
 * - [CONTEXT] [videoContext + audioContext, S]: one prompt's [Ltx2Conditioning] context as it is, video then audio per
 *   token (sd.cpp's DiT takes the same joined tensor and slices it);
 * - [VIDEO_PE], [AUDIO_PE], [VIDEO_TIME_PE]: [ropeTables] for the same sizes and fps, which change only with them.
 *
 * The output is flat: the video velocity [W, H, F, 128] (W·H·F·128 values, width fastest) followed by the audio
 * velocity [16, L, 8] (L·128 values) — the order in which sd.cpp packs the audio after the video latent, before its
 * padding. The denoised estimates are x − σ·velocity.
 */
object Ltx2Dit {
    const val VIDEO = "video"
    const val AUDIO = "audio"
    const val SIGMA = "sigma"
    const val VIDEO_SIGMA = "video_sigma"
    const val CONTEXT = "context"
    const val VIDEO_PE = "video_pe"
    const val AUDIO_PE = "audio_pe"
    const val VIDEO_TIME_PE = "video_time_pe"
    val INPUT_NAMES = setOf(VIDEO, AUDIO, SIGMA, VIDEO_SIGMA, CONTEXT, VIDEO_PE, AUDIO_PE, VIDEO_TIME_PE)

    /**
     * The graph for a [width] × [height] × [frames] latent, [audioLength] audio steps and [contextTokens] context tokens;
     * with [tokenTimesteps] it takes [VIDEO_SIGMA] as well. Without, it is the text-to-video graph as it always was.
     */
    fun build(g: CompiledGraph.Builder, weights: Weights, frames: Long, height: Long, width: Long, audioLength: Long, contextTokens: Long,
              tokenTimesteps: Boolean = false): Tensor {
        require(frames > 0 && height > 0 && width > 0 && audioLength > 0 && contextTokens > 0) {
            "an LTX-2 DiT step needs a latent, audio and context: $width × $height × $frames cells, $audioLength audio steps, $contextTokens context tokens"
        }
        val w = Ltx2DitDimensions.root(weights)
        val d = Ltx2DitDimensions.of(w)
        val videoTokens = frames * height * width
        val video = g.input(VIDEO, GgmlType.F32, width, height, frames, Ltx2DitArchitecture.LATENT_CHANNELS)
        val audio = g.input(AUDIO, GgmlType.F32, Ltx2DitArchitecture.AUDIO_BINS, audioLength, Ltx2DitArchitecture.AUDIO_CHANNELS)
        val sigma = g.input(SIGMA, GgmlType.F32, 1)
        val context = g.input(CONTEXT, GgmlType.F32, d.contextWidth, contextTokens)
        val rope = Ltx2DitGraph.Rope(
            video = g.input(VIDEO_PE, GgmlType.F32, d.videoHeadDim / 2, d.videoHeads.toLong(), videoTokens, 2),
            audio = g.input(AUDIO_PE, GgmlType.F32, d.audioHeadDim / 2, d.audioHeads.toLong(), audioLength, 2),
            videoTime = g.input(VIDEO_TIME_PE, GgmlType.F32, d.audioHeadDim / 2, d.audioHeads.toLong(), videoTokens, 2),
        )
        val videoSigma = if (tokenTimesteps) g.input(VIDEO_SIGMA, GgmlType.F32, frames) else null
        return Ltx2DitGraph(g.nn, d).forward(w, video, audio, sigma, context, rope, videoSigma)
    }

    /** The values of the three RoPE inputs, by input name, for those sizes at [fps]. */
    fun ropeTables(d: Ltx2DitDimensions, frames: Int, height: Int, width: Int, audioLength: Int, fps: Float): Map<String, FloatArray> = mapOf(
        VIDEO_PE to Ltx2DitRope.video(d, frames, height, width, fps),
        AUDIO_PE to Ltx2DitRope.audio(d, audioLength),
        VIDEO_TIME_PE to Ltx2DitRope.videoTime(d, frames, height, width, fps),
    )

    /**
     * Room for the graph of a DiT of [blocks] blocks: about 460 tensors a block (measured: 589 for one block, 1978 for
     * four), with headroom, as the engine's default of 16384 holds only 35 blocks of LTX-2.3's 48.
     */
    fun nodes(blocks: Int): Int = 1024 + 640 * blocks
}
