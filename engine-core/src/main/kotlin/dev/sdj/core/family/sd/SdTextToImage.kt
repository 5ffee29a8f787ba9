package dev.sdj.core.family.sd

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.LatentTiling
import dev.sdj.core.sampling.CancelledException
import dev.sdj.core.sampling.Denoiser
import dev.sdj.core.sampling.DiscreteSchedule
import dev.sdj.core.sampling.NoiseRng
import dev.sdj.core.sampling.PhiloxRng
import dev.sdj.core.sampling.Prediction
import dev.sdj.core.sampling.Sampler
import dev.sdj.core.sampling.ScheduleKind
import dev.sdj.core.sampling.TorchCpuRng
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * SD 1.x/2.x text-to-image in its three phases — encode the prompts, denoise seeded noise with classifier-free
 * guidance, decode — so a caller can load and free components between them. The weights are handed in; where they
 * live is the caller's business.
 */
class SdTextToImage(
    private val family: SdFamily,
    private val conditioner: SdConditioner,
) {
    /** The UNet context for the prompt (and the negative prompt when guided): [hidden × tokens] each. */
    class Conditioning(val contexts: List<FloatArray>, val hidden: Long) {
        val tokens: Long get() = contexts[0].size / hidden
    }

    fun encode(request: GenerationRequest, textEncoder: Weights, session: GraphSession, progress: ProgressListener,
               cancel: CancellationToken): Conditioning {
        val contexts = conditioner.encode(session, textEncoder, prompts(request), clipSkip(request, textEncoder)) { done, total ->
            progress.onProgress("text encoding", done, total)
            if (cancel.isCancelled) throw GenerationCancelledException(0, request.steps())
        }
        contexts.forEach { FiniteValues.require(it) { "text encoding" } }
        return Conditioning(contexts, textEncoder.get("final_layer_norm.weight").ne(0))
    }

    /** The request's clip skip, or the family's default for the text encoder's layer count; refused beyond the layers. */
    fun clipSkip(request: GenerationRequest, textEncoder: Weights): Int {
        val layers = generateSequence(0) { it + 1 }.takeWhile { textEncoder.has("encoder.layers.$it.layer_norm1.weight") }.count()
        val clipSkip = if (request.clipSkip() > 0) request.clipSkip() else family.defaultClipSkip(layers)
        if (clipSkip > layers) throw InvalidRequestException("clip skip $clipSkip is more than the text encoder's $layers layers")
        return clipSkip
    }

    /** The text encoder's graph for [request], as [encode] compiles it. */
    fun textEncoderGraph(request: GenerationRequest, textEncoder: Weights): (CompiledGraph.Builder) -> Tensor =
        conditioner.graph(textEncoder, clipSkip(request, textEncoder))

    /** The UNet's graph over a [w]×[h] latent and a context of [tokens] tokens [hidden] wide, as [denoise] compiles it. */
    fun unetGraph(unet: Weights, w: Long, h: Long, hidden: Long, tokens: Long): (CompiledGraph.Builder) -> Tensor = { g ->
        family.unet.build(g.nn, unet, g.input("x", GgmlType.F32, w, h, 4, 1), g.input("t", GgmlType.F32, 1),
            g.input("context", GgmlType.F32, hidden, tokens, 1))
    }

    /** The decoder's graph over one tile of the request's tiling, as [decode] compiles it. */
    fun decoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor {
        val tiling = decodeTiling(request)
        val tw = tiling.extent(request.width() / 8).toLong()
        val th = tiling.extent(request.height() / 8).toLong()
        return { g -> SdVaeDecoder.build(g.nn, vae, g.input("z", GgmlType.F32, tw, th, 4, 1)) }
    }

    /** Tokens of the UNet context the request's prompts make (77 per chunk); refuses prompts over the caps. */
    fun contextTokens(request: GenerationRequest): Int = family.textEncoder.contextTokens * conditioner.chunkCount(prompts(request))

    private fun prompts(request: GenerationRequest) =
        if (guided(request)) listOf(request.prompt(), request.negativePrompt()) else listOf(request.prompt())

    /** The denoised latent [w/8, h/8, 4] in ggml order. */
    fun denoise(request: GenerationRequest, unet: Weights, conditioning: Conditioning, session: GraphSession,
                progress: ProgressListener, cancel: CancellationToken): FloatArray {
        val w = (request.width() / 8).toLong()
        val h = (request.height() / 8).toLong()
        val vPrediction = when (request.prediction()) {
            "v" -> true
            "eps" -> false
            else -> family.defaultVPrediction
        }
        val schedule = DiscreteSchedule.scaledLinear(0.00085, 0.012, 1000)
        val sigmas = schedule.sigmas(request.steps(), if (request.schedule() == "karras") ScheduleKind.KARRAS else ScheduleKind.DISCRETE)
        val rng: NoiseRng = if (request.rng() == "cpu") TorchCpuRng(request.seed()) else PhiloxRng(request.seed())
        val noise = rng.randn((w * h * 4).toInt())
        val x0 = FloatArray(noise.size) { noise[it] * sigmas[0] }

        val graph = session.compile(UNET, build = unetGraph(unet, w, h, conditioning.hidden, conditioning.tokens))
        fun model(x: FloatArray, t: Float, context: FloatArray): FloatArray {
            graph.input("x").setFloats(x)
            graph.input("t").setFloats(floatArrayOf(t))
            graph.input("context").setFloats(context)
            return graph.run(session.backend)
        }
        val guided = guided(request)
        val cfg = request.cfgScale().toFloat()
        var completed = 0
        val denoiser = Denoiser { x, sigma ->
            val scale = Prediction.inputScale(sigma)
            val input = FloatArray(x.size) { x[it] * scale }
            val t = schedule.sigmaToT(sigma)
            val cond = model(input, t, conditioning.contexts[0])
            val out = if (guided) {
                val uncond = model(input, t, conditioning.contexts[1])
                FloatArray(cond.size) { uncond[it] + cfg * (cond[it] - uncond[it]) }
            } else {
                cond
            }
            val denoised = if (vPrediction) Prediction.vToDenoised(x, out, sigma) else Prediction.epsToDenoised(x, out, sigma)
            denoised.also { FiniteValues.require(it) { "denoising step ${completed + 1} of ${request.steps()}" } }
        }
        progress.onProgress("denoising", 0, request.steps())
        try {
            return Sampler.byName(request.sampler()).sample(x0, sigmas, denoiser, rng) { step, total ->
                completed = step
                progress.onProgress("denoising", step, total)
                !cancel.isCancelled
            }
        } catch (e: CancelledException) {
            throw GenerationCancelledException(e.completedSteps, e.totalSteps)
        }
    }

    /**
     * The decoded image [8w, 8h, 3] in ggml order, values around [-1, 1]; in tiles when the request asks for them,
     * each tile a chance to cancel.
     */
    fun decode(request: GenerationRequest, vae: Weights, latent: FloatArray, session: GraphSession, progress: ProgressListener,
               cancel: CancellationToken): FloatArray {
        val w = request.width() / 8
        val h = request.height() / 8
        val z = FloatArray(latent.size) { latent[it] / family.latentScale }
        val tiling = decodeTiling(request)
        val tiles = tiling.origins(w).size * tiling.origins(h).size
        val decoder = session.compile(VAE_DECODER, build = decoderGraph(request, vae))
        var done = 0
        progress.onProgress("decoding", 0, tiles)
        return tiling.decode(z, w, h, 4, 8, 3) { part ->
            if (cancel.isCancelled) throw GenerationCancelledException(request.steps(), request.steps())
            decoder.input("z").setFloats(part)
            decoder.run(session.backend).also {
                FiniteValues.require(it) { "decoding" }
                progress.onProgress("decoding", ++done, tiles)
            }
        }
    }

    private fun guided(request: GenerationRequest) = request.cfgScale() != 1.0

    companion object {
        val UNET = GraphKey("unet")
        val VAE_DECODER = GraphKey("vae decoder")

        /** The decoder's tiling for a request: its tile size, or one tile covering the whole latent. */
        fun decodeTiling(request: GenerationRequest): LatentTiling =
            if (request.vaeTileSize() > 0) LatentTiling.ofPixels(request.vaeTileSize(), 8)
            else LatentTiling(maxOf(request.width(), request.height()) / 8, 0)
    }
}
