package dev.sdj.core.family.ltx2

import dev.sdj.core.family.ltx2.Ltx2VideoShape.Companion.LATENT_CHANNELS

/**
 * Image-to-video's hold on the first latent frame, as stable-diffusion.cpp conditions LTX-2 on an init image: the
 * image's latent written into frame 0 of an otherwise zero latent ([init], packed as [Ltx2Latents] packs), and a
 * denoise mask that is 1 everywhere but 1 − strength on frame 0's cells (every channel; the audio and the padding
 * 1). The sampler starts from σ₀·noise + (1 − σ₀)·[init]; the DiT sees [blend]ed input and, for the video's own
 * modulation, each token's timestep times its mask, frame by frame ([videoTimesteps]); the denoised estimate is [blend]ed again. At
 * strength 1 frame 0 is the image's latent at every step, at timestep 0; at strength 0 it is denoised like any frame.
 *
 * @param latent the image's normalised latent, one frame: [latentWidth, latentHeight, 1, 128] in ggml order
 * @param strength how firmly frame 0 keeps the image, clamped to [0, 1] as sd.cpp clamps it
 */
class Ltx2ImageCondition(private val latents: Ltx2Latents, latent: FloatArray, strength: Double) {
    private val shape = latents.shape
    private val cells = shape.latentWidth * shape.latentHeight

    /** The denoise mask of frame 0's cells. */
    val frameMask: Float = 1f - strength.coerceIn(0.0, 1.0).toFloat()

    val init: FloatArray

    init {
        require(latent.size == cells * LATENT_CHANNELS) {
            "the image's latent has ${latent.size} values, not one ${shape.latentWidth}x${shape.latentHeight} frame of $LATENT_CHANNELS channels"
        }
        val video = FloatArray(shape.videoValues)
        for (c in 0 until LATENT_CHANNELS) latent.copyInto(video, c * shape.videoTokens, c * cells, (c + 1) * cells)
        init = latents.pack(video, FloatArray(shape.audioValues))
    }

    private fun masked(i: Int): Boolean = i < shape.videoValues && i % shape.videoTokens < cells

    /** x·mask + init·(1 − mask) over the packed latent. */
    fun blend(x: FloatArray): FloatArray {
        require(x.size == init.size) { "the packed latent has ${x.size} values, not ${init.size} ($shape)" }
        return FloatArray(x.size) { if (masked(it)) x[it] * frameMask + init[it] * (1f - frameMask) else x[it] }
    }

    /**
     * Each latent frame's timestep, [timestep] times its mask: the mask is constant over a frame, so its tokens share
     * one timestep and the DiT computes the video's modulation once a frame ([Ltx2Dit.VIDEO_SIGMA]).
     */
    fun videoTimesteps(timestep: Float): FloatArray = FloatArray(shape.latentFrames) { if (it == 0) frameMask * timestep else timestep }
}
