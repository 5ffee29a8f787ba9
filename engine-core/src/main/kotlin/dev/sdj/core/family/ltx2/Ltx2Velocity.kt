package dev.sdj.core.family.ltx2

/**
 * The LTX-2 DiT as the denoising loop sees it: the flow velocity (noise − data) of the video and audio latents at one
 * noise level, under one prompt's conditioning.
 *
 * [video] and [audio] are lent for the call in [Ltx2Latents]' latent layouts (the DiT graph's inputs take them as
 * they are); the result must be fresh arrays of the same sizes.
 * [timestep] is what [Ltx2Schedule.modelTimestep] gives for the step's σ, for both modalities; [videoTimesteps], when
 * not null, replaces it for the video's own modulation latent frame by latent frame, every token of a frame at its
 * frame's (image-to-video, [Ltx2ImageCondition]). [prompt]
 * is 0 for the prompt, 1 for the negative prompt (asked for only when the cfg scale is not 1), indexing the
 * conditioning's contexts.
 */
fun interface Ltx2Velocity {
    fun velocity(video: FloatArray, audio: FloatArray, timestep: Float, videoTimesteps: FloatArray?, prompt: Int): Ltx2AudioVideo
}
