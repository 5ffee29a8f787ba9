package dev.sdj.core.family.sd

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InpaintMask
import dev.sdj.core.image.TiledDecoding
import dev.sdj.core.pipeline.GuidanceBatch
import dev.sdj.core.sampling.Denoiser
import dev.sdj.core.sampling.DiscreteSchedule
import dev.sdj.core.sampling.NoiseRng
import dev.sdj.core.sampling.Prediction
import dev.sdj.core.sampling.Sampler
import dev.sdj.core.sampling.sampleReporting
import dev.sdj.core.sampling.ScheduleKind
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * The SD family's latent diffusion after the text is encoded — denoise seeded noise with classifier-free guidance,
 * then decode — shared by SD 1.x/2.x and SDXL, which differ here only in the UNet's extra vector input, the latent
 * scale and the decoder's numerics.
 *
 * @param decoder the VAE decoder's graph (SDXL's scales its convolution inputs)
 * @param inpainting whether the UNet is an inpainting checkpoint's, reading [InpaintingInput]'s 5 channels after the
 *   latent's 4 at every step
 */
class SdDiffusion(
    private val unet: SdUnet,
    private val latentScale: Float,
    private val defaultVPrediction: Boolean,
    private val decoder: (Nn, Weights, Tensor) -> Tensor = SdVaeDecoder::build,
    private val encoder: (Nn, Weights, Tensor) -> Tensor = SdVaeEncoder::build,
    val inpainting: Boolean = false,
) : ImageEncoding.LatentEncoder {
    private val unetInputs: Long = if (inpainting) 4L + InpaintingInput.CHANNELS else 4L

    /** The text side of the UNet's conditioning: one context [hidden × tokens] per prompt, and SDXL's vector y per prompt. */
    class Conditioning(val contexts: List<FloatArray>, val hidden: Long, val ys: List<FloatArray>? = null) {
        val tokens: Long get() = contexts[0].size / hidden
    }

    /**
     * The UNet's graph over [batch] [w]×[h] latents, each with a context of [tokens] tokens [hidden] wide (and SDXL's
     * vector y, [yWidth] wide), as [denoise] compiles it for the request ([batch] of [GuidanceBatch.of]).
     */
    fun unetGraph(weights: Weights, w: Long, h: Long, hidden: Long, tokens: Long, yWidth: Long? = null, batch: Long = 1): (CompiledGraph.Builder) -> Tensor = { g ->
        unet.build(g.nn, weights, g.input("x", GgmlType.F32, w, h, unetInputs, batch), g.input("t", GgmlType.F32, batch),
            g.input("context", GgmlType.F32, hidden, tokens, batch), yWidth?.let { g.input("y", GgmlType.F32, it, batch) })
    }

    /** The decoder's graph over one tile of the request's tiling, as [decode] compiles it. */
    fun decoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor {
        val tiles = TiledDecoding(request, 8)
        return { g -> decoder(g.nn, vae, g.input("z", GgmlType.F32, tiles.tileWidth, tiles.tileHeight, 4, 1)) }
    }

    override val downscale = 8
    override val latentChannels = 4

    override fun encoderGraph(vae: Weights, tileWidth: Long, tileHeight: Long): (CompiledGraph.Builder) -> Tensor = { g ->
        encoder(g.nn, vae, g.input(ImageEncoding.IMAGE, GgmlType.F32, tileWidth, tileHeight, 3, 1))
    }

    /** The draw times the family's scale factor. */
    override fun samplerLatent(drawn: FloatArray): FloatArray = FloatArray(drawn.size) { drawn[it] * latentScale }

    /**
     * The init image, and for an inpainting checkpoint the masked image before it: stable-diffusion.cpp encodes the
     * masked image first, so its latent takes the first normal values of the seed's stream.
     */
    override fun images(request: GenerationRequest, image: FloatArray): List<FloatArray> =
        if (inpainting) listOf(Inpainting.maskedImage(image, mask(request)!!), image) else listOf(image)

    override fun encodesMask(request: GenerationRequest): Boolean = inpainting && request.mask().isPresent

    /**
     * What denoising starts from ([InitLatent]) given the [latents] of [images]. With a mask also the latent mask, and
     * for an inpainting checkpoint the masked image's latent.
     */
    override fun start(request: GenerationRequest, latents: List<FloatArray>): Any {
        val (width, height) = request.width() to request.height()
        val mask = mask(request) ?: return InitLatent(latents.last())
        val latentMask = Inpainting.latentMask(mask, width, height)
        if (!inpainting) return InitLatent(latents.last(), latentMask)
        return InitLatent(latents.last(), Inpainting.dilated(latentMask, width / 8, height / 8), InpaintingInput.of(latentMask, latents[0]))
    }

    /** The request's mask at its size; an inpainting checkpoint without one is given one that repaints everything, as sd.cpp gives it. */
    private fun mask(request: GenerationRequest): FloatArray? =
        request.mask().map { InpaintMask.read(it, request.width(), request.height()) }.orElse(null)
            ?: if (inpainting) FloatArray(request.width() * request.height()) { 1f } else null

    /**
     * The denoised latent [w/8, h/8, 4] in ggml order: from seeded noise, or with [start] from the init image's latent
     * with the noise added at the sigma the request's strength starts at, sampled over the rest of the schedule. With
     * a mask, each step's denoised latent keeps the init latent outside it (stable-diffusion.cpp's blend); an
     * inpainting UNet also reads the mask and the masked image's latent (without an init image: everything masked).
     */
    fun denoise(request: GenerationRequest, weights: Weights, conditioning: Conditioning, session: GraphSession,
                progress: ProgressListener, cancel: CancellationToken, start: InitLatent? = null): FloatArray {
        val w = (request.width() / 8).toLong()
        val h = (request.height() / 8).toLong()
        val vPrediction = when (request.prediction()) {
            "v" -> true
            "eps" -> false
            else -> defaultVPrediction
        }
        val schedule = DiscreteSchedule.scaledLinear(0.00085, 0.012, 1000)
        val full = schedule.sigmas(request.steps(), if (request.schedule() == "karras") ScheduleKind.KARRAS else ScheduleKind.DISCRETE)
        val sigmas = if (start == null) full else ImageToImage.sigmas(full, request.strength())
        val rng = NoiseRng.of(request)
        val noise = rng.randn((w * h * 4).toInt())
        val x0 = ImageToImage.start(noise, sigmas[0], start?.latent)
        val extra = if (inpainting) start?.unetInput ?: InpaintingInput.everything((w * h).toInt()) else null

        val ys = conditioning.ys
        val batch = GuidanceBatch.of(request)
        val graph = session.compile(UNET, build = unetGraph(weights, w, h, conditioning.hidden, conditioning.tokens, ys?.get(0)?.size?.toLong(),
            batch.toLong()))
        fun unetInput(x: FloatArray, prompt: Int) =
            if (extra == null) x else Inpainting.concat(x, if (prompt == 0) extra.conditional else extra.unconditional)
        // Prompts [first, first + batch) in one evaluation: ggml's batch is the outermost dimension, so inputs and outputs concatenate.
        fun model(x: FloatArray, t: Float, first: Int): FloatArray {
            val prompts = first until first + batch
            graph.input("x").setFloats(concat(prompts.map { unetInput(x, it) }))
            graph.input("t").setFloats(FloatArray(batch) { t })
            graph.input("context").setFloats(concat(prompts.map { conditioning.contexts[it] }))
            ys?.let { y -> graph.input("y").setFloats(concat(prompts.map { y[it] })) }
            return graph.run(session.backend)
        }
        val guided = guided(request)
        val cfg = request.cfgScale().toFloat()
        var completed = 0
        val denoiser = Denoiser { x, sigma ->
            val scale = Prediction.inputScale(sigma)
            val input = FloatArray(x.size) { x[it] * scale }
            val t = schedule.sigmaToT(sigma)
            val first = model(input, t, 0)
            val out = if (guided) {
                val (cond, uncond) = if (batch == 2) first.copyOfRange(0, x.size) to first.copyOfRange(x.size, 2 * x.size)
                    else first to model(input, t, 1)
                FloatArray(cond.size) { uncond[it] + cfg * (cond[it] - uncond[it]) }
            } else {
                first
            }
            val predicted = if (vPrediction) Prediction.vToDenoised(x, out, sigma) else Prediction.epsToDenoised(x, out, sigma)
            val denoised = start?.denoiseMask?.let { Inpainting.blend(predicted, start.latent, it) } ?: predicted
            denoised.also { FiniteValues.require(it) { "denoising step ${completed + 1} of ${request.steps()}" } }
        }
        return Sampler.byName(request.sampler()).sampleReporting(x0, sigmas, denoiser, rng, progress, cancel) { completed = it }
    }

    /**
     * The decoded image [8w, 8h, 3] in ggml order, values around [-1, 1]; in tiles when the request asks for them,
     * each tile a chance to cancel.
     */
    fun decode(request: GenerationRequest, vae: Weights, latent: FloatArray, session: GraphSession, progress: ProgressListener,
               cancel: CancellationToken): FloatArray {
        val z = FloatArray(latent.size) { latent[it] / latentScale }
        val decoder = session.compile(VAE_DECODER, build = decoderGraph(request, vae))
        return TiledDecoding(request, 8).decode(z, 4, decoder, "z", session.backend, progress, cancel)
    }

    private fun guided(request: GenerationRequest) = request.cfgScale() != 1.0

    private fun concat(parts: List<FloatArray>): FloatArray =
        if (parts.size == 1) parts[0] else FloatArray(parts.sumOf { it.size }).also { out ->
            var at = 0
            for (p in parts) { p.copyInto(out, at); at += p.size }
        }

    companion object {
        val UNET = GraphKey("unet")
        val VAE_DECODER = GraphKey("vae decoder")
    }
}
