package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import kotlin.math.ceil

/**
 * The geometry of an LTX-2 generation, aligned as stable-diffusion.cpp aligns a video request: the frame count down to
 * 8k + 1 (the VAE compresses time 8× after a first frame of its own, so 1 is legal), width and height up to multiples
 * of 32 (the VAE's spatial factor; the DiT's patch is 1). From it follow the video latent [latentWidth, latentHeight,
 * latentFrames, 128] and the audio latent of [audioLength] steps × 8 channels × 16 mel bins.
 *
 * The request's own numbers are kept beside the aligned ones: [adjustments] says what changed, for the pipeline to warn
 * with (sd.cpp logs the same two warnings), and the result is the aligned size.
 */
class Ltx2VideoShape(requestedWidth: Int, requestedHeight: Int, requestedFrames: Int, val fps: Int) {
    init {
        require(requestedWidth > 0 && requestedHeight > 0) { "size must be positive, got ${requestedWidth}x$requestedHeight" }
        require(requestedFrames >= 1) { "frames must be at least 1, got $requestedFrames" }
        require(fps >= 1) { "fps must be at least 1, got $fps" }
    }

    val width: Int = alignUp(requestedWidth, SPATIAL_SCALE)
    val height: Int = alignUp(requestedHeight, SPATIAL_SCALE)
    val frames: Int = (requestedFrames - 1) / TEMPORAL_SCALE * TEMPORAL_SCALE + 1

    val latentWidth: Int get() = width / SPATIAL_SCALE
    val latentHeight: Int get() = height / SPATIAL_SCALE
    val latentFrames: Int get() = (frames - 1) / TEMPORAL_SCALE + 1

    /** Video tokens, one per latent cell: also the token count the `ltx2` schedule's shift follows. */
    val videoTokens: Int get() = latentWidth * latentHeight * latentFrames

    /**
     * Audio latent steps for the clip's duration frames / fps at 25 latents a second (16 kHz audio, mel hop 160,
     * 4× downsampled), rounded up; in float as sd.cpp computes it, so the count matches its own at every boundary.
     */
    val audioLength: Int = ceil(frames.toFloat() / fps.toFloat() * AUDIO_LATENTS_PER_SECOND).toInt()

    val videoValues: Int get() = videoTokens * LATENT_CHANNELS
    val audioValues: Int get() = audioLength * AUDIO_CHANNELS * AUDIO_BINS

    /** What alignment changed in the request, one sentence each; empty when nothing did. */
    val adjustments: List<String> = buildList {
        if (width != requestedWidth || height != requestedHeight) {
            add("LTX-2 size ${requestedWidth}x$requestedHeight aligned up to ${width}x$height (multiples of $SPATIAL_SCALE)")
        }
        if (frames != requestedFrames) {
            add("LTX-2 frames $requestedFrames aligned down to $frames (8k + 1)")
        }
    }

    /** What a video adds to the image's parameters text: nothing for a still, else its frames and rate. */
    fun infotext(): Map<String, String> =
        if (frames > 1) linkedMapOf("Frames" to frames.toString(), "FPS" to fps.toString()) else emptyMap()

    override fun toString(): String = "${width}x$height, $frames frames at $fps fps"

    companion object {
        const val SPATIAL_SCALE = 32
        const val TEMPORAL_SCALE = 8
        const val LATENT_CHANNELS = Ltx2DitArchitecture.LATENT_CHANNELS.toInt()
        const val AUDIO_CHANNELS = Ltx2DitArchitecture.AUDIO_CHANNELS.toInt()
        const val AUDIO_BINS = Ltx2DitArchitecture.AUDIO_BINS.toInt()
        private const val AUDIO_LATENTS_PER_SECOND = 16000f / 160f / 4f

        fun of(request: GenerationRequest) = Ltx2VideoShape(request.width(), request.height(), request.frames(), request.fps())

        private fun alignUp(v: Int, multiple: Int) = (v + multiple - 1) / multiple * multiple
    }
}
