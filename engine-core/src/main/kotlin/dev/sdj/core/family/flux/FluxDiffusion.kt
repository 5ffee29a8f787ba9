package dev.sdj.core.family.flux

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.family.sd.ImageToImage
import dev.sdj.core.family.sd.SdDiffusion
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.TiledDecoding
import dev.sdj.core.sampling.Denoiser
import dev.sdj.core.sampling.FlowSchedule
import dev.sdj.core.sampling.NoiseRng
import dev.sdj.core.sampling.Prediction
import dev.sdj.core.sampling.Sampler
import dev.sdj.core.sampling.sampleReporting
import dev.sdj.core.sampling.ScheduleKind
import dev.sdj.ggml.Tensor

/**
 * Flux's rectified-flow diffusion after the text is encoded, as stable-diffusion.cpp runs it: seeded noise at σ = 1
 * (or, from an init image, the image's latent noised to where the strength cuts the schedule), the DiT's velocity turned into a denoised estimate (x − σ·v) for the request's sampler over the flow schedule, the
 * guidance scale as an input of guidance-distilled models and real classifier-free guidance when cfg ≠ 1; then the
 * 16-channel autoencoder decodes, whole or in tiles.
 */
class FluxDiffusion(private val schedule: FlowSchedule, private val guidanceInput: Boolean) : ImageEncoding.LatentEncoder {
    /** What the DiT is conditioned on per prompt: CLIP-L's pooled vector and T5's context of [tokens] tokens. */
    class Conditioning(val pooled: List<FloatArray>, val contexts: List<FloatArray>, val tokens: Long)

    fun ditGraph(weights: Weights, request: GenerationRequest, tokens: Long): (CompiledGraph.Builder) -> Tensor = { g ->
        FluxDit.build(g, weights, latentWidth(request).toLong(), latentHeight(request).toLong(), tokens)
    }

    fun decoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor {
        val tiles = TiledDecoding(request, FluxVae.DOWNSCALE)
        return FluxVae.decoderGraph(vae, tiles.tileWidth, tiles.tileHeight)
    }

    override val downscale = FluxVae.DOWNSCALE
    override val latentChannels = FluxVae.LATENT_CHANNELS

    override fun encoderGraph(vae: Weights, tileWidth: Long, tileHeight: Long): (CompiledGraph.Builder) -> Tensor =
        FluxVae.encoderGraph(vae, tileWidth, tileHeight)

    /** The draw shifted and scaled as stable-diffusion.cpp's process_latent_in does. */
    override fun samplerLatent(drawn: FloatArray): FloatArray = FluxVae.samplerLatent(drawn)

    /**
     * The denoised latent [w/8, h/8, 16] in ggml order: from seeded noise at σ = 1, or with [initLatent] from
     * (1 − σ)·latent + σ·noise at the σ the request's strength cuts the schedule at ([ImageToImage.sigmas], counted as
     * for SD), sampled over the rest of it. Strength 1 starts at σ = 1, from the noise alone: text-to-image's start.
     */
    fun denoise(request: GenerationRequest, weights: Weights, conditioning: Conditioning, session: GraphSession,
                progress: ProgressListener, cancel: CancellationToken, initLatent: FloatArray? = null): FloatArray {
        val w = latentWidth(request).toLong()
        val h = latentHeight(request).toLong()
        val full = schedule.sigmas(request.steps(), if (request.schedule() == "karras") ScheduleKind.KARRAS else ScheduleKind.DISCRETE)
        val sigmas = if (initLatent == null) full else ImageToImage.sigmas(full, request.strength())
        val rng = NoiseRng.of(request)
        val noise = rng.randn((w * h * FluxVae.LATENT_CHANNELS).toInt())
        val x0 = FlowSchedule.noised(initLatent ?: FloatArray(noise.size), noise, sigmas[0])

        val graph = session.compile(DIT, build = ditGraph(weights, request, conditioning.tokens))
        graph.input(FluxDit.PE).setFloats(FluxDit.ropeTable(weights, w, h, conditioning.tokens))
        if (guidanceInput) graph.input(FluxDit.GUIDANCE).setFloats(floatArrayOf(request.guidance().toFloat()))
        fun model(x: FloatArray, sigma: Float, prompt: Int): FloatArray {
            graph.input(FluxDit.X).setFloats(x)
            graph.input(FluxDit.T).setFloats(floatArrayOf(schedule.modelTimestep(sigma)))
            graph.input(FluxDit.CONTEXT).setFloats(conditioning.contexts[prompt])
            graph.input(FluxDit.Y).setFloats(conditioning.pooled[prompt])
            return graph.run(session.backend)
        }
        val guided = request.cfgScale() != 1.0
        val cfg = request.cfgScale().toFloat()
        var completed = 0
        val denoiser = Denoiser { x, sigma ->
            val cond = model(x, sigma, 0)
            val velocity = if (guided) {
                val uncond = model(x, sigma, 1)
                FloatArray(cond.size) { uncond[it] + cfg * (cond[it] - uncond[it]) }
            } else {
                cond
            }
            Prediction.flowToDenoised(x, velocity, sigma).also { FiniteValues.require(it) { "denoising step ${completed + 1} of ${request.steps()}" } }
        }
        return Sampler.byName(request.sampler()).forFlow().sampleReporting(x0, sigmas, denoiser, rng, progress, cancel) { completed = it }
    }

    /** The decoded image [8w, 8h, 3] in ggml order, values around [-1, 1]; in tiles when the request asks for them. */
    fun decode(request: GenerationRequest, vae: Weights, latent: FloatArray, session: GraphSession, progress: ProgressListener,
               cancel: CancellationToken): FloatArray {
        val decoder = session.compile(VAE_DECODER, build = decoderGraph(request, vae))
        return TiledDecoding(request, FluxVae.DOWNSCALE).decode(FluxVae.decoderInput(latent), FluxVae.LATENT_CHANNELS, decoder,
            FluxVae.INPUT, session.backend, progress, cancel)
    }

    private fun latentWidth(request: GenerationRequest) = request.width() / FluxVae.DOWNSCALE
    private fun latentHeight(request: GenerationRequest) = request.height() / FluxVae.DOWNSCALE

    companion object {
        val DIT = GraphKey("flux dit")
        val VAE_DECODER = SdDiffusion.VAE_DECODER
    }
}
