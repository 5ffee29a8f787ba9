package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.sampling.Denoiser
import dev.sdj.core.sampling.FlowSchedule
import dev.sdj.core.sampling.NoiseRng
import dev.sdj.core.sampling.Prediction
import dev.sdj.core.sampling.Sampler
import dev.sdj.core.sampling.sampleReporting

/**
 * LTX-2's joint audio-video flow denoising, as stable-diffusion.cpp runs it: seeded noise at σ = 1 over the packed
 * video + audio latent ([Ltx2Latents]), the `ltx2` schedule for the video's token count, the DiT's velocity turned into
 * a denoised estimate (x − σ·v) for the request's sampler, and classifier-free guidance with the negative prompt when
 * cfg ≠ 1, one scale for video and audio alike: v = v_neg + cfg · (v_pos − v_neg).
 *
 * The request's schedule is not applied: LTX-2 samples on its own (sd.cpp's default scheduler for it).
 *
 * Image-to-video adds an [Ltx2ImageCondition]: the start, the DiT's input, the video's timesteps and every denoised
 * estimate hold the first frame as sd.cpp's sampler does; without one the loop is text-to-video's, value for value.
 */
class Ltx2Diffusion(val shape: Ltx2VideoShape) {
    val latents = Ltx2Latents(shape)
    val schedule = Ltx2Schedule(shape.videoTokens)

    /**
     * The denoised video and audio latents of [request], asking [model] for velocities, from [image]'s first frame when
     * given; progress per step, cancellable between steps.
     */
    fun denoise(request: GenerationRequest, model: Ltx2Velocity, progress: ProgressListener, cancel: CancellationToken,
                image: Ltx2ImageCondition? = null): Ltx2AudioVideo {
        val asked = Ltx2VideoShape.of(request)
        require(asked.width == shape.width && asked.height == shape.height && asked.frames == shape.frames && asked.fps == shape.fps) {
            "the request is for $asked, but this diffusion was set up for $shape"
        }
        val sigmas = schedule.sigmas(request.steps())
        val rng = NoiseRng.of(request)
        val x0 = FlowSchedule.noised(image?.init ?: FloatArray(latents.packedSize), latents.noise(rng), sigmas[0])
        val guided = request.cfgScale() != 1.0
        val cfg = request.cfgScale().toFloat()
        var completed = 0
        val denoiser = Denoiser { x, sigma ->
            val input = image?.blend(x) ?: x
            val video = latents.video(input)
            val audio = latents.audio(input)
            val timestep = schedule.modelTimestep(sigma)
            val videoTimesteps = image?.videoTimesteps(timestep)
            val positive = checked(model.velocity(video, audio, timestep, videoTimesteps, 0))
            val velocity = if (guided) {
                val negative = checked(model.velocity(video, audio, timestep, videoTimesteps, 1))
                Ltx2AudioVideo(guide(positive.video, negative.video, cfg), guide(positive.audio, negative.audio, cfg))
            } else {
                positive
            }
            // as sd.cpp: the estimate from the sampler's own x, the first frame's hold applied after guidance
            val denoised = Prediction.flowToDenoised(x, latents.pack(velocity.video, velocity.audio), sigma)
            (image?.blend(denoised) ?: denoised).also { FiniteValues.require(it) { "denoising step ${completed + 1} of ${request.steps()}" } }
        }
        val x = Sampler.byName(request.sampler()).forFlow().sampleReporting(x0, sigmas, denoiser, rng, progress, cancel) { completed = it }
        return Ltx2AudioVideo(latents.video(x), latents.audio(x))
    }

    private fun checked(v: Ltx2AudioVideo): Ltx2AudioVideo {
        check(v.video.size == shape.videoValues && v.audio.size == shape.audioValues) {
            "the LTX-2 model returned ${v.video.size} video and ${v.audio.size} audio values for latents of ${shape.videoValues} and ${shape.audioValues}"
        }
        return v
    }

    private fun guide(positive: FloatArray, negative: FloatArray, cfg: Float) =
        FloatArray(positive.size) { negative[it] + cfg * (positive[it] - negative[it]) }
}
