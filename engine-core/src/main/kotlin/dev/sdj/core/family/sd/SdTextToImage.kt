package dev.sdj.core.family.sd

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.Tensor

/**
 * SD 1.x/2.x text-to-image in its three phases — encode the prompts here, then denoise seeded noise with
 * classifier-free guidance and decode through [diffusion] — so a caller can load and free components between them.
 * The weights are handed in; where they live is the caller's business.
 */
class SdTextToImage(
    private val family: SdFamily,
    private val conditioner: SdConditioner,
    inpainting: Boolean = false,
) {
    /** Denoising and decoding, SD 1.x/2.x's way (with an inpainting checkpoint's UNet when [inpainting]). */
    val diffusion = SdDiffusion(family.unet, family.latentScale, family.defaultVPrediction, inpainting = inpainting)

    fun encode(request: GenerationRequest, textEncoder: Weights, session: GraphSession, progress: ProgressListener,
               cancel: CancellationToken): SdDiffusion.Conditioning {
        val contexts = conditioner.encode(session, textEncoder, prompts(request), clipSkip(request, textEncoder)) { done, total ->
            progress.onProgress("text encoding", done, total)
            if (cancel.isCancelled) throw GenerationCancelledException(0, request.steps())
        }
        contexts.forEach { FiniteValues.require(it) { "text encoding" } }
        return SdDiffusion.Conditioning(contexts, textEncoder.get("final_layer_norm.weight").ne(0))
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

    /** Tokens of the UNet context the request's prompts make (77 per chunk); refuses prompts over the caps. */
    fun contextTokens(request: GenerationRequest): Int = family.textEncoder.contextTokens * conditioner.chunkCount(prompts(request))

    private fun prompts(request: GenerationRequest) =
        if (guided(request)) listOf(request.prompt(), request.negativePrompt()) else listOf(request.prompt())

    private fun guided(request: GenerationRequest) = request.cfgScale() != 1.0
}
