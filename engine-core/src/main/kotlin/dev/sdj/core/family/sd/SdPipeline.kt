package dev.sdj.core.family.sd

import dev.sdj.api.GenerationRequest
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ModelVocabulary
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.lora.LoraTargets
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.GuidanceBatch
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.core.pipeline.Streamable

/**
 * SD 1.x/2.x text-to-image as the engine runs it: text encoding, denoising with the UNet (streamable by its input,
 * middle and output blocks), decoding. Opening checks the model's files make the graphs, before anything loads.
 */
class SdPipeline private constructor(model: AssembledModel, private val family: SdFamily, tokenizer: ClipTokenizer) : GenerationPipeline {
    private val textToImage = SdTextToImage(family, SdConditioner(tokenizer, family.textEncoder,
        if (family.padWithEos) tokenizer.vocab.eosId else 0), SdInpaintingUnet.of(model))

    /** Width of the text encoder's hidden states: the UNet's cross-attention context. */
    private val contextWidth: Long = model.components.getValue(ComponentKind.TEXT_ENCODER).tensors
        .getValue(SdModelCheck.TOKEN_EMBEDDING).shape[0]

    private val encoding = object : Phase {
        override val label = "text encoding"
        override val components = listOf(ComponentKind.TEXT_ENCODER)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(SdConditioner.GRAPH, textToImage.textEncoderGraph(request, textEncoder(weights))))

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String =
            listOf(request.prompt(), request.negativePrompt(), request.clipSkip(), request.cfgScale() != 1.0).joinToString("\u0000")

        override fun run(run: PhaseRun): Any =
            textToImage.encode(run.request, textEncoder(run.weights), run.session, run.progress, run.cancel)
    }

    private val denoising = object : Phase {
        override val label = "denoising"
        override val components = listOf(ComponentKind.DIFFUSION_MODEL)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(SdDiffusion.UNET, textToImage.diffusion.unetGraph(weights(ComponentKind.DIFFUSION_MODEL),
                (request.width() / 8).toLong(), (request.height() / 8).toLong(), contextWidth, textToImage.contextTokens(request).toLong(),
                batch = GuidanceBatch.of(request).toLong())))

        override fun run(run: PhaseRun): Any = textToImage.diffusion.denoise(run.request, run.weights(ComponentKind.DIFFUSION_MODEL),
            run.earlier[0] as SdDiffusion.Conditioning, run.session, run.progress, run.cancel, imageEncoding.start(run, run.earlier[1]) as InitLatent?)
    }

    private val imageEncoding = ImageEncoding(textToImage.diffusion, model.components.getValue(ComponentKind.VAE))

    private val decoding = SdDecoding(textToImage.diffusion, latentPhase = 2)

    override val phases: List<Phase> = listOf(encoding, imageEncoding, denoising, decoding)

    override val loraTargets: LoraTargets by lazy { SdLoraTargets(model) }
    override val takesLowRankLoras: Boolean get() = true

    override val denoiserPhase = phases.indexOf(denoising)

    override val batchesGuidance = true

    override val takesInitImage = true
    override val takesMask = true

    override val streamables = listOf(Streamable(ComponentKind.DIFFUSION_MODEL, denoiserPhase, SdDiffusion.UNET, SdUnetBlocks::of))

    override fun shapeKey(request: GenerationRequest): String =
        "${request.width()}x${request.height()} tile ${request.vaeTileSize()} context ${textToImage.contextTokens(request)} " +
            "clip skip ${request.clipSkip()} init image ${request.initImage().isPresent} guidance batch ${GuidanceBatch.of(request)}"

    override fun image(result: Any): FloatArray = result as FloatArray

    private fun textEncoder(weights: (ComponentKind) -> Weights) = weights(ComponentKind.TEXT_ENCODER).at("text_model")

    companion object {
        /** The pipeline for an SD 1.x/2.x [model]; refuses one whose files lack a component or do not make the graphs. */
        fun open(model: AssembledModel): SdPipeline {
            val family = try {
                SdFamily.of(model.family)
            } catch (e: IllegalArgumentException) {
                throw UnsupportedModelException("${model.family.label} is recognised but cannot generate yet: only SD 1.x and SD 2.x have a pipeline")
            }
            for (kind in listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)) {
                if (kind !in model.components) {
                    throw UnsupportedModelException("the model has no ${kind.label}: pass it together with the other files")
                }
            }
            if (model.components.getValue(ComponentKind.TEXT_ENCODER).tensors.keys.none { it.startsWith("text_model.") }) {
                throw UnsupportedModelException("the text encoder's tensors are not named like CLIP's (text_model.… or OpenCLIP's " +
                    "transformer.resblocks.…)")
            }
            val tokenizer = ClipTokenizer(ModelVocabulary.of(model))
            family.check(model, tokenizer.vocab.size)
            return SdPipeline(model, family, tokenizer)
        }
    }
}
