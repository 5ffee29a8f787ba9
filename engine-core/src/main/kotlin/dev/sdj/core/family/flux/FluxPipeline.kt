package dev.sdj.core.family.flux

import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ModelVocabulary
import dev.sdj.core.family.t5.T5ModelVocabulary
import dev.sdj.core.family.t5.T5Tokenizer
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.lora.LoraTargets
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.core.pipeline.Streamable
import java.math.BigDecimal

/**
 * Flux.1 text-to-image and image-to-image as the engine runs them: CLIP-L's pooled vector, then T5-XXL's context (each
 * encoder its own phase, so sequential placement holds one at a time and frees both before the DiT loads), the init
 * image's encoding when there is one, denoising with the DiT (its double and single blocks the streaming unit),
 * decoding with the 16-channel autoencoder.
 */
class FluxPipeline private constructor(private val model: AssembledModel, tokens: FluxPromptTokens) : GenerationPipeline {
    private val conditioner = FluxConditioner(tokens)
    private val dit = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
    private val guidanceInput = FluxFlow.hasGuidanceEmbedding(dit)
    private val diffusion = FluxDiffusion(FluxFlow.schedule(dit), guidanceInput)

    private fun prompts(request: GenerationRequest): List<String> =
        if (request.cfgScale() != 1.0) listOf(request.prompt(), request.negativePrompt()) else listOf(request.prompt())

    private fun progress(run: PhaseRun, label: String): (Int, Int) -> Unit = { done, total ->
        run.progress.onProgress(label, done, total)
        if (run.cancel.isCancelled) throw GenerationCancelledException(0, run.request.steps())
    }

    private fun checkSize(request: GenerationRequest) {
        if (request.width() % SIZE_STEP != 0 || request.height() % SIZE_STEP != 0) {
            throw InvalidRequestException("Flux draws images in 2×2 patches of 8-pixel latent cells: width and height must be " +
                "multiples of $SIZE_STEP, not ${request.width()}×${request.height()}")
        }
    }

    private val clipL = object : Phase {
        override val label = "text encoding (CLIP-L)"
        override val components = listOf(ComponentKind.TEXT_ENCODER)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(FluxConditioner.CLIP_L_GRAPH, conditioner.pooledGraph(clipWeights(weights))))

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = prompts(request).joinToString("\u0000")

        override fun run(run: PhaseRun): Any =
            conditioner.encodePooled(run.session, clipWeights(run.weights), prompts(run.request), progress(run, label))
                .onEach { FiniteValues.require(it) { label } }
    }

    private val t5 = object : Phase {
        override val label = "text encoding (T5-XXL)"
        override val components = listOf(ComponentKind.TEXT_ENCODER_2)
        override val peakLever = "--on-cpu text_encoder_2 would keep T5 off the device"

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(FluxConditioner.T5_GRAPH, conditioner.t5Graph(weights(ComponentKind.TEXT_ENCODER_2))))

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = prompts(request).joinToString("\u0000")

        override fun run(run: PhaseRun): Any =
            conditioner.encodeT5(run.session, run.weights(ComponentKind.TEXT_ENCODER_2), prompts(run.request), progress(run, label))
                .onEach { FiniteValues.require(it) { label } }
    }

    private val denoising = object : Phase {
        override val label = "denoising"
        override val components = listOf(ComponentKind.DIFFUSION_MODEL)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
            checkSize(request)
            return listOf(PhaseGraph(FluxDiffusion.DIT, diffusion.ditGraph(weights(ComponentKind.DIFFUSION_MODEL), request,
                contextTokens(request).toLong())))
        }

        @Suppress("UNCHECKED_CAST")
        override fun run(run: PhaseRun): Any {
            checkSize(run.request)
            val conditioning = FluxDiffusion.Conditioning(run.earlier[0] as List<FloatArray>, run.earlier[1] as List<FloatArray>,
                contextTokens(run.request).toLong())
            return diffusion.denoise(run.request, run.weights(ComponentKind.DIFFUSION_MODEL), conditioning, run.session, run.progress,
                run.cancel, imageEncoding.start(run, run.earlier[2]) as FloatArray?)
        }
    }

    private val decoding = object : Phase {
        override val label = "decoding"
        override val components = listOf(ComponentKind.VAE)
        override val peakLever = "tiled decoding (--vae-tile 256) or --on-cpu vae would lower it"

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(FluxDiffusion.VAE_DECODER, diffusion.decoderGraph(request, weights(ComponentKind.VAE))))

        override fun run(run: PhaseRun): Any = diffusion.decode(run.request, run.weights(ComponentKind.VAE),
            run.earlier[3] as FloatArray, run.session, run.progress, run.cancel)
    }

    /**
     * The encoder stays in the VAE component beside the decoder rather than being its own component as LTX-2's: the
     * planner loads every component a pipeline names whatever the request, so a component of its own would not spare
     * text-to-image its bytes, and ae.safetensors holds both halves in one file.
     */
    private val imageEncoding = ImageEncoding(diffusion, model.components.getValue(ComponentKind.VAE))

    override val phases: List<Phase> = listOf(clipL, t5, imageEncoding, denoising, decoding)

    override val loraTargets: LoraTargets by lazy { FluxLoraTargets(model) }

    override val denoiserPhase = phases.indexOf(denoising)

    override val takesInitImage = true

    override val streamables = listOf(Streamable(ComponentKind.DIFFUSION_MODEL, denoiserPhase, FluxDiffusion.DIT, FluxDitBlocks::of))

    private fun contextTokens(request: GenerationRequest): Int = conditioner.contextTokens(prompts(request))

    override fun shapeKey(request: GenerationRequest): String =
        "${request.width()}x${request.height()} tile ${request.vaeTileSize()} context ${contextTokens(request)} " +
            "init image ${request.initImage().isPresent}"

    override fun image(result: Any): FloatArray = result as FloatArray

    /** Forge's name for the guidance a guidance-distilled model takes as an input. */
    override fun infotext(request: GenerationRequest): Map<String, String> =
        if (guidanceInput) mapOf("Distilled CFG Scale" to BigDecimal.valueOf(request.guidance()).stripTrailingZeros().toPlainString()) else emptyMap()

    private fun clipWeights(weights: (ComponentKind) -> Weights): Weights = weights(ComponentKind.TEXT_ENCODER).at("text_model")

    companion object {
        /** Width and height step: a 2×2 patch of 8-pixel latent cells. */
        const val SIZE_STEP = 16

        private val NEEDED = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)

        /** The pipeline for a Flux [model]; refuses one whose files lack a component, its tokenizers, or the graphs' tensors. */
        fun open(model: AssembledModel): FluxPipeline {
            for (kind in NEEDED) {
                if (kind !in model.components) {
                    throw UnsupportedModelException("the Flux model has no ${kind.label}: pass it together with the other files " +
                        "(Flux needs the DiT, CLIP-L (--clip_l), T5-XXL (--t5xxl) and the autoencoder (--vae, ae.safetensors))")
                }
            }
            FluxModelCheck.check(model)
            return FluxPipeline(model, FluxPromptTokens(ClipTokenizer(ModelVocabulary.of(model)), T5Tokenizer(T5ModelVocabulary.of(model))))
        }
    }
}
