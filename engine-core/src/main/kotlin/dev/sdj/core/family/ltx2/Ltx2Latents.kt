package dev.sdj.core.family.ltx2

import dev.sdj.core.family.ltx2.Ltx2VideoShape.Companion.LATENT_CHANNELS
import dev.sdj.core.sampling.NoiseRng

/**
 * LTX-2's video and audio latents in stable-diffusion.cpp's layouts, and the one array its sampler integrates them in.
 *
 * The video latent is f32 [latentWidth, latentHeight, latentFrames, 128] in ggml order (width fastest, a plane per
 * channel); the audio latent [16 bins, audioLength, 8 channels]. sd.cpp samples both as one tensor: the video's
 * channels, then the audio's values laid after them in as many extra channels as they need, the last one zero-padded
 * ([packedSize] values). Its noise is one draw of that whole tensor, video first, so a seed gives sd.cpp's video and
 * audio, and the ancestral samplers' fresh noise (drawn per step over the same tensor) stays in step with it. The
 * padding never reaches the DiT, whose velocity there is zero.
 *
 * The DiT takes tokens (patch size 1, one per cell): [tokens] for the video is [128, latentWidth·latentHeight·
 * latentFrames] with the cells in (frame, row, column) order; for the audio [8 · 16, audioLength], a step's features
 * channel by channel, bins fastest (Lightricks' "b c t f -> b t (c f)").
 */
class Ltx2Latents(val shape: Ltx2VideoShape) {
    private val cells = shape.videoTokens

    /** The extra channels the audio takes in the packed latent: its values over the cells, rounded up. */
    val audioChannels: Int = (shape.audioValues + cells - 1) / cells

    val packedSize: Int = cells * (LATENT_CHANNELS + audioChannels)

    /** The starting noise of a generation: the next [packedSize] values of [rng]. */
    fun noise(rng: NoiseRng): FloatArray = rng.randn(packedSize)

    fun pack(video: FloatArray, audio: FloatArray): FloatArray {
        require(video.size == shape.videoValues) { "the video latent has ${video.size} values, not ${shape.videoValues} ($shape)" }
        require(audio.size == shape.audioValues) { "the audio latent has ${audio.size} values, not ${shape.audioValues} ($shape)" }
        val packed = FloatArray(packedSize)
        video.copyInto(packed)
        audio.copyInto(packed, shape.videoValues)
        return packed
    }

    fun video(packed: FloatArray): FloatArray = requirePacked(packed).copyOfRange(0, shape.videoValues)

    fun audio(packed: FloatArray): FloatArray = requirePacked(packed).copyOfRange(shape.videoValues, shape.videoValues + shape.audioValues)

    private fun requirePacked(packed: FloatArray): FloatArray {
        require(packed.size == packedSize) { "the packed latent has ${packed.size} values, not $packedSize ($shape)" }
        return packed
    }
}
