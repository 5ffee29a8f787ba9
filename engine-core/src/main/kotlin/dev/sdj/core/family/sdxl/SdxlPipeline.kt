package dev.sdj.core.family.sdxl

import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.ImageEncoding
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ModelVocabulary
import dev.sdj.core.family.sd.InitLatent
import dev.sdj.core.family.sd.SdDecoding
import dev.sdj.core.family.sd.SdDiffusion
import dev.sdj.core.family.sd.SdInpaintingUnet
import dev.sdj.core.family.sd.SdLoraTargets
import dev.sdj.core.family.sd.SdModelCheck
import dev.sdj.core.family.sd.SdUnet
import dev.sdj.core.family.sd.SdUnetBlocks
import dev.sdj.core.graph.FiniteValues
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
 * SDXL text-to-image as the engine runs it: CLIP-L, then OpenCLIP bigG (each encoder its own phase, so sequential
 * placement holds one at a time), denoising with the UNet (the context is both encoders' states side by side, the
 * vector y bigG's pooled embedding and the size conditioning), decoding with the SDXL VAE.
 */
class SdxlPipeline private constructor(private val model: AssembledModel, tokenizer: ClipTokenizer) : GenerationPipeline {
    private val conditioner = SdxlConditioner(tokenizer)
    private val diffusion = SdDiffusion(SdUnet.SD2, SdxlVaeDecoder.LATENT_SCALE, false, SdxlVaeDecoder::build, SdxlVaeDecoder::encode,
        SdInpaintingUnet.of(model))

    private fun width(kind: ComponentKind): Int =
        model.components.getValue(kind).tensors.getValue(SdModelCheck.TOKEN_EMBEDDING).shape[0].toInt()

    private val bigGWidth = width(ComponentKind.TEXT_ENCODER_2)
    private val contextWidth = (width(ComponentKind.TEXT_ENCODER) + bigGWidth).toLong()
    private val yWidth = model.components.getValue(ComponentKind.DIFFUSION_MODEL).tensors.getValue("label_emb.0.0.weight").shape[0]

    private fun prompts(request: GenerationRequest): List<String> =
        if (request.cfgScale() != 1.0) listOf(request.prompt(), request.negativePrompt()) else listOf(request.prompt())

    private fun clipSkip(request: GenerationRequest, encoders: List<Weights>): Int {
        val skip = if (request.clipSkip() > 0) request.clipSkip() else SdxlConditioner.DEFAULT_CLIP_SKIP
        for (w in encoders) {
            val layers = generateSequence(0) { it + 1 }.takeWhile { w.has("encoder.layers.$it.layer_norm1.weight") }.count()
            if (skip > layers) throw InvalidRequestException("clip skip $skip is more than a text encoder's $layers layers")
        }
        return skip
    }

    /** What both encoders' results depend on: the prompts they encode and the layer they read. */
    private fun promptKey(request: GenerationRequest): String =
        (prompts(request) + request.clipSkip().toString()).joinToString("\u0000")

    private fun progress(run: PhaseRun, label: String): (Int, Int) -> Unit = { done, total ->
        run.progress.onProgress(label, done, total)
        if (run.cancel.isCancelled) throw GenerationCancelledException(0, run.request.steps())
    }

    private val clipL = object : Phase {
        override val label = "text encoding (CLIP-L)"
        override val components = listOf(ComponentKind.TEXT_ENCODER)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
            val w = weights(ComponentKind.TEXT_ENCODER).at("text_model")
            return listOf(PhaseGraph(SdxlConditioner.CLIP_L_GRAPH, conditioner.clipLGraph(w, clipSkip(request, listOf(w)))))
        }

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = promptKey(request)

        override fun run(run: PhaseRun): Any {
            val w = run.weights(ComponentKind.TEXT_ENCODER).at("text_model")
            return conditioner.encodeClipL(run.session, w, prompts(run.request), clipSkip(run.request, listOf(w)), progress(run, label))
                .onEach { chunks -> chunks.forEach { FiniteValues.require(it) { label } } }
        }
    }

    private val bigG = object : Phase {
        override val label = "text encoding (OpenCLIP bigG)"
        override val components = listOf(ComponentKind.TEXT_ENCODER_2)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
            val root = weights(ComponentKind.TEXT_ENCODER_2)
            val w = root.at("text_model")
            return listOf(PhaseGraph(SdxlConditioner.BIG_G_GRAPH, conditioner.bigGGraph(w, root, clipSkip(request, listOf(w)))))
        }

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = promptKey(request)

        override fun run(run: PhaseRun): Any {
            val root = run.weights(ComponentKind.TEXT_ENCODER_2)
            val w = root.at("text_model")
            return conditioner.encodeBigG(run.session, w, root, prompts(run.request), clipSkip(run.request, listOf(w)), progress(run, label))
                .onEach { chunks -> chunks.forEach { FiniteValues.require(it) { label } } }
        }
    }

    private val denoising = object : Phase {
        override val label = "denoising"
        override val components = listOf(ComponentKind.DIFFUSION_MODEL)

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
            listOf(PhaseGraph(SdDiffusion.UNET, diffusion.unetGraph(weights(ComponentKind.DIFFUSION_MODEL),
                (request.width() / 8).toLong(), (request.height() / 8).toLong(), contextWidth, contextTokens(request).toLong(), yWidth,
                GuidanceBatch.of(request).toLong())))

        @Suppress("UNCHECKED_CAST")
        override fun run(run: PhaseRun): Any {
            val request = run.request
            val prompts = prompts(request)
            val l = run.earlier[0] as List<List<FloatArray>>
            val g = run.earlier[1] as List<List<FloatArray>>
            val size = SizeConditioning(request.originalHeight(), request.originalWidth(), request.cropTop(), request.cropLeft(),
                request.targetHeight(), request.targetWidth())
            val conditioning = SdDiffusion.Conditioning(conditioner.contexts(prompts, l, g, bigGWidth), contextWidth,
                conditioner.pooled(g, bigGWidth).map { size.vector(it) })
            return diffusion.denoise(request, run.weights(ComponentKind.DIFFUSION_MODEL), conditioning, run.session, run.progress, run.cancel,
                imageEncoding.start(run, run.earlier[2]) as InitLatent?)
        }
    }

    private val imageEncoding = ImageEncoding(diffusion, model.components.getValue(ComponentKind.VAE))

    private val decoding = SdDecoding(diffusion, latentPhase = 3)

    override val phases: List<Phase> = listOf(clipL, bigG, imageEncoding, denoising, decoding)

    override val loraTargets: LoraTargets by lazy { SdLoraTargets(model) }
    override val takesLowRankLoras: Boolean get() = true

    override val denoiserPhase = phases.indexOf(denoising)

    override val batchesGuidance = true

    override val takesInitImage = true
    override val takesMask = true

    override val streamables = listOf(Streamable(ComponentKind.DIFFUSION_MODEL, denoiserPhase, SdDiffusion.UNET, SdUnetBlocks::of))

    /** Tokens of the UNet context the request's prompts make (77 per chunk); refuses prompts over the caps. */
    private fun contextTokens(request: GenerationRequest): Int = SdxlConditioner.CONTEXT * conditioner.chunkCount(prompts(request))

    override fun shapeKey(request: GenerationRequest): String =
        "${request.width()}x${request.height()} tile ${request.vaeTileSize()} context ${contextTokens(request)} clip skip ${request.clipSkip()} init image ${request.initImage().isPresent} guidance batch ${GuidanceBatch.of(request)}"

    override fun image(result: Any): FloatArray = result as FloatArray

    companion object {
        private val NEEDED = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.TEXT_ENCODER_2, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)

        /** The pipeline for an SDXL [model]; refuses one whose files lack a component or do not make the graphs. */
        fun open(model: AssembledModel): SdxlPipeline {
            for (kind in NEEDED) {
                if (kind !in model.components) {
                    throw UnsupportedModelException("the SDXL model has no ${kind.label}: pass it together with the other files " +
                        "(SDXL needs CLIP-L and OpenCLIP bigG text encoders, the UNet and the VAE)")
                }
            }
            val tokenizer = ClipTokenizer(ModelVocabulary.of(model))
            SdModelCheck.sdxl(model).check(tokenizer.vocab.size)
            return SdxlPipeline(model, tokenizer)
        }
    }
}
