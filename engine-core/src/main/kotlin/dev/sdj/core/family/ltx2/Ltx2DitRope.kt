package dev.sdj.core.family.ltx2

import kotlin.math.cos
import kotlin.math.exp
import kotlin.math.ln
import kotlin.math.max
import kotlin.math.sin

/**
 * The DiT's rotary embeddings as stable-diffusion.cpp's LTXAV builds them on the host (build_video_rope_matrix,
 * build_video_temporal_rope_matrix, build_audio_rope_matrix; split halves, not interleaved), in f32 arithmetic as
 * sd.cpp computes them:
 *
 * - a width W has W/(2·axes) frequencies f_i = exp(ln θ · i/(n − 1))·π/2; a token's angles are, after
 *   W/2 − n·axes zero angles (cos 1, sin 0), f_i·(2·c_a − 1) for each i and, within it, each axis a, where c_a is the
 *   token's coordinate on that axis divided by its maximum position;
 * - head h takes angles h·d/2 … (h + 1)·d/2 − 1 of its token (every head its own), and rotates element j with
 *   element j + d/2 ([Ltx2ConnectorRope.apply]).
 *
 * Coordinates are the centres of what a latent cell covers: video time in seconds (latent frame t spans pixel frames
 * 8t − 7 … 8t + 1 clamped at 0, divided by fps: the first latent frame is one pixel frame, as the causal VAE makes it),
 * height and width in pixels (32 per cell); audio time in seconds (latent step t spans mel frames 4t − 3 … 4t + 1
 * clamped at 0, 160 samples each at 16 kHz). Video tokens run width fastest, then height, then frames, as the
 * latent [W, H, F, C] flattens.
 *
 * Tables are f32 [d/2, heads, tokens, 2] (cosines in plane 0, sines in plane 1), as [Ltx2ConnectorRope.table]'s.
 */
object Ltx2DitRope {
    /** Video self-attention's 3-D table for a latent of [frames] × [height] × [width] cells at [fps]: video width and heads. */
    fun video(d: Ltx2DitDimensions, frames: Int, height: Int, width: Int, fps: Float): FloatArray {
        val max = Ltx2DitArchitecture.VIDEO_MAX_POSITIONS
        val coordinates = FloatArray(3 * frames * height * width)
        var token = 0
        for (f in 0 until frames) {
            val time = videoTime(f, fps)
            for (h in 0 until height) for (w in 0 until width) {
                coordinates[3 * token] = time / max[0]
                coordinates[3 * token + 1] = pixelCentre(h) / max[1]
                coordinates[3 * token + 2] = pixelCentre(w) / max[2]
                token++
            }
        }
        return table(d.videoWidth.toInt(), d.videoHeads, 3, coordinates)
    }

    /** The video tokens' time-only table for the audio-video cross attentions (audio width and heads). */
    fun videoTime(d: Ltx2DitDimensions, frames: Int, height: Int, width: Int, fps: Float): FloatArray {
        val perFrame = height * width
        val coordinates = FloatArray(frames * perFrame) { videoTime(it / perFrame, fps) / Ltx2DitArchitecture.TIME_MAX_POSITION }
        return table(d.audioWidth.toInt(), d.audioHeads, 1, coordinates)
    }

    /**
     * The audio tokens' table over [length] latent steps: audio self-attention's and the cross attentions' alike (sd.cpp
     * builds the latter over the audio context's width, which is the audio width in every LTX-2 release).
     */
    fun audio(d: Ltx2DitDimensions, length: Int): FloatArray {
        val coordinates = FloatArray(length) { 0.5f * (audioStart(it) + audioStart(it + 1)) / Ltx2DitArchitecture.TIME_MAX_POSITION }
        return table(d.audioWidth.toInt(), d.audioHeads, 1, coordinates)
    }

    /** The centre in seconds of latent frame [f]: the mean of its causal start and end. */
    fun videoTime(f: Int, fps: Float): Float = 0.5f * (videoCorner(f, fps) + videoCorner(f + 1, fps))

    private fun videoCorner(f: Int, fps: Float): Float {
        val scale = Ltx2DitArchitecture.VAE_TIME_FACTOR
        return max(0f, (f * scale).toFloat() + 1f - scale) / fps
    }

    private fun pixelCentre(cell: Int): Float =
        (cell * Ltx2DitArchitecture.VAE_SPACE_FACTOR).toFloat() + 0.5f * Ltx2DitArchitecture.VAE_SPACE_FACTOR

    private fun audioStart(t: Int): Float {
        val per = Ltx2DitArchitecture.AUDIO_MEL_PER_LATENT
        val mel = max(0f, (t * per).toFloat() + 1f - per)
        return mel * Ltx2DitArchitecture.AUDIO_HOP.toFloat() / Ltx2DitArchitecture.AUDIO_SAMPLE_RATE.toFloat()
    }

    /** generate_freq_grid in f32: [width] / (2·[axes]) frequencies. */
    fun frequencies(width: Int, axes: Int): FloatArray {
        val n = width / (2 * axes)
        val halfPi = (Math.PI / 2).toFloat()
        if (n == 1) return floatArrayOf(halfPi)
        val logTheta = ln(Ltx2DitArchitecture.ROPE_THETA)
        return FloatArray(n) { exp(logTheta * (it.toFloat() / (n - 1).toFloat())) * halfPi }
    }

    /** The table for tokens whose normalised coordinates are [coordinates] ([axes] per token, axis fastest). */
    private fun table(width: Int, heads: Int, axes: Int, coordinates: FloatArray): FloatArray {
        val half = width / 2
        require(width % 2 == 0 && half % heads == 0) { "a width of $width does not give $heads heads whole frequency pairs" }
        val grid = frequencies(width, axes)
        val pad = half - grid.size * axes
        val tokens = coordinates.size / axes
        val out = FloatArray(half * tokens * 2)
        val plane = half * tokens
        for (p in 0 until tokens) {
            for (i in 0 until pad) out[i + half * p] = 1f
            for (f in grid.indices) for (a in 0 until axes) {
                val angle = grid[f] * (coordinates[axes * p + a] * 2f - 1f)
                val slot = pad + f * axes + a + half * p
                out[slot] = cos(angle)
                out[slot + plane] = sin(angle)
            }
        }
        return out
    }
}
