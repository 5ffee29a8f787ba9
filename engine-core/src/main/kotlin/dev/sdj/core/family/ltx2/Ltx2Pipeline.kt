package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ModelFileException
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.gemma3.Gemma3Blocks
import dev.sdj.core.family.gemma3.Gemma3Component
import dev.sdj.core.family.gemma3.Gemma3ModelVocabulary
import dev.sdj.core.family.gemma3.Gemma3Encoder
import dev.sdj.core.family.gemma3.Gemma3NormWeights
import dev.sdj.core.family.gemma3.Gemma3Tokenizer
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.DecodedVideo
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.core.pipeline.Streamable
import dev.sdj.ggml.Tensor

/**
 * LTX-2.3 text-to-video in four phases, six with sound: Gemma-3 encodes each prompt into the hidden states of every layer (its layers
 * the streaming unit: 12B does not fit the cards it must run on); the feature extractor and both embedding connectors
 * turn them into the DiT's video and audio contexts (their projections and blocks streamable too: in bf16 they
 * outweigh Gemma in Q4_0); the audio-video DiT denoises the joint latent (its 48 blocks streamable); the video VAE
 * decodes the frames, in temporal and spatial tiles when the request tiles; the audio VAE decodes the audio latent to a
 * log-mel spectrogram and the vocoder turns it into the clip's waveform. stable-diffusion.cpp runs the connectors
 * inside every DiT step; they depend only on the prompt, so here they run once per prompt and their result is reused
 * like any text encoder's. Separate phases so that sequential placement holds Gemma, the connectors and the DiT (each
 * several GiB at LTX-2.3's size) one at a time.
 *
 * Image-to-video adds a phase before the DiT, skipped without an init image: the VAE's encoder turns the image into
 * latent frame 0, which denoising holds as the request's strength says ([Ltx2FirstFrameEncoding], [Ltx2ImageCondition]).
 *
 * A model of Gemma and the connectors alone runs the conditioning only ([unfinished] says what is missing); one without
 * the audio VAE and vocoder (a DiT GGUF and a video VAE file) makes silent clips.
 */
class Ltx2Pipeline private constructor(
    private val prompts: Ltx2TextPrompts,
    private val norms: Gemma3NormWeights,
    /** Gemma's width: the connectors' stack input has it. */
    private val hidden: Long,
    /** Learnable registers of the connectors, which set the contexts' length. */
    private val registers: Int,
    /** The DiT's block count; null when the model has no DiT and VAE (conditioning only). */
    private val ditBlocks: Int?,
    /** The init image's encoding (image-to-video); null without a DiT. */
    private val firstFrame: Ltx2FirstFrameEncoding?,
    /** Video decoding, then audio decoding and vocoding when the model has them; empty without a DiT. */
    private val decoding: List<Phase>,
) : GenerationPipeline {

    private fun encoder(w: Weights) = Gemma3Encoder.of(w, norms)

    private val gemma = object : Phase {
        override val label = "text encoding (Gemma-3)"
        override val components = listOf(ComponentKind.TEXT_ENCODER)
        override val peakLever = "--on-cpu text_encoder would keep Gemma off the device"

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
            val w = weights(ComponentKind.TEXT_ENCODER)
            return prompts.groups(prompts.of(request)).map { group -> PhaseGraph(GEMMA_GRAPH, gemmaGraph(w, group)) }
        }

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = prompts.texts(request).joinToString("\u0000")

        override fun run(run: PhaseRun): Any {
            val w = run.weights(ComponentKind.TEXT_ENCODER)
            val encoder = encoder(w)
            val all = prompts.of(run.request)
            val graphs = prompts.groups(all).associateWith { group -> run.session.compile(GEMMA_GRAPH, build = gemmaGraph(w, group)) }
            report(run, label, 0, all.size)
            return all.mapIndexed { i, prompt ->
                val group = prompts.groupOf(prompt, all)
                val graph = graphs.getValue(group)
                encoder.setInputs(graph, prompt)
                val states = graph.run(run.session.backend)
                FiniteValues.require(states) { label }
                report(run, label, i + 1, all.size)
                Ltx2PromptStates(states, encoder.dimensions.hidden, group.kept, encoder.dimensions.layers + 1L, prompt.valid)
            }
        }
    }

    private fun gemmaGraph(w: Weights, group: Ltx2TextPrompts.Group): (CompiledGraph.Builder) -> Tensor =
        { g -> encoder(w).build(g, w, group.tokens.toLong(), group.kept.toLong()) }

    private val connectors = object : Phase {
        override val label = "text connectors"
        override val components = listOf(ComponentKind.TEXT_CONNECTORS)
        override val peakLever = "--on-cpu text_connectors would keep the connectors off the device"

        /** The connectors' graphs for the request's prompts, one per (stack, prompt length) the Gemma phase gives. */
        private fun shapes(request: GenerationRequest): List<Pair<Ltx2TextPrompts.Group, Int>> {
            val all = prompts.of(request)
            return all.map { prompts.groupOf(it, all) to it.valid }.distinct()
        }

        override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
            val w = weights(ComponentKind.TEXT_CONNECTORS)
            return shapes(request).map { (group, valid) -> PhaseGraph(CONNECTOR_GRAPH, connectorGraph(w, hidden, group.kept, valid)) }
        }

        override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String = prompts.texts(request).joinToString("\u0000")

        @Suppress("UNCHECKED_CAST")
        override fun run(run: PhaseRun): Any {
            val w = run.weights(ComponentKind.TEXT_CONNECTORS)
            val text = Ltx2TextContext.of(w)
            val states = run.earlier[GEMMA_PHASE] as List<Ltx2PromptStates>
            val graphs = HashMap<Pair<Int, Int>, CompiledGraph>()
            report(run, label, 0, states.size)
            val contexts = states.mapIndexed { i, s ->
                val graph = graphs.getOrPut(s.kept to s.valid) {
                    run.session.compile(CONNECTOR_GRAPH, build = connectorGraph(w, s.hidden, s.kept, s.valid))
                }
                graph.input(Ltx2TextContext.STATES).setFloats(s.states)
                text.setInputs(graph, s.valid)
                graph.run(run.session.backend).also {
                    FiniteValues.require(it) { label }
                    report(run, label, i + 1, states.size)
                }
            }
            val width = text.video.dimensions.width + text.audio.dimensions.width
            return Ltx2Conditioning(contexts, width, (contexts.first().size / width).toInt())
        }
    }

    private fun connectorGraph(w: Weights, hidden: Long, kept: Int, valid: Int): (CompiledGraph.Builder) -> Tensor = { g ->
        val text = Ltx2TextContext.of(w)
        val planes = w.get(Ltx2TextArchitecture.VIDEO_AGGREGATE + ".weight").ne(0) / hidden
        text.build(g, w, hidden, kept.toLong(), planes, valid)
    }

    private fun report(run: PhaseRun, label: String, done: Int, total: Int) {
        run.progress.onProgress(label, done, total)
        if (run.cancel.isCancelled) throw GenerationCancelledException(0, run.request.steps())
    }

    /**
     * The contexts' token count for [request]: one for every prompt, as the DiT runs one graph for all of them (prompts
     * under 1024 tokens all give 1024).
     */
    private fun contextLength(request: GenerationRequest): Int {
        val lengths = prompts.of(request).map { Ltx2ConnectorDimensions.sequence(it.valid, registers) }.distinct()
        if (lengths.size > 1) {
            throw InvalidRequestException("the prompt and the negative prompt give contexts of ${lengths.joinToString(" and ")} tokens; " +
                "LTX-2 here takes one length for both: keep both under ${Ltx2TextArchitecture.MIN_SEQUENCE} tokens")
        }
        return lengths.single()
    }

    private val denoising = ditBlocks?.let { Ltx2Denoising(it, ::contextLength, CONNECTOR_PHASE, IMAGE_ENCODING_PHASE) }

    override val phases: List<Phase> = listOfNotNull(gemma, connectors, firstFrame, denoising) + decoding

    /** With a DiT: the init image becomes latent frame 0 (image-to-video). */
    override val takesInitImage = denoising != null

    /** The DiT's phase; without one, every phase conditions it. */
    override val denoiserPhase = if (denoising != null) DENOISING_PHASE else phases.size

    override val streamables = listOfNotNull(
        Streamable(ComponentKind.TEXT_ENCODER, GEMMA_PHASE, GEMMA_GRAPH, Gemma3Blocks::of) { prompts.texts(it).size },
        Streamable(ComponentKind.TEXT_CONNECTORS, CONNECTOR_PHASE, CONNECTOR_GRAPH, Ltx2ConnectorBlocks::of) { prompts.texts(it).size },
        denoising?.let { Streamable(ComponentKind.DIFFUSION_MODEL, DENOISING_PHASE, Ltx2Denoising.GRAPH, Ltx2DitBlocks::of) },
    )

    override val unfinished = if (denoising == null) {
        "the LTX-2 model has no DiT and video VAE: its text conditioning runs and plans, a video needs the LTX-2.3 checkpoint " +
            "(or its DiT and VAE files) as well"
    } else {
        null
    }

    override fun shapeKey(request: GenerationRequest): String {
        val all = prompts.of(request)
        val text = all.joinToString(" ") { "${it.ids.size}/${it.valid}" }
        return if (denoising == null) text else "$text ${Ltx2VideoShape.of(request)} tile ${request.vaeTileSize()} init image ${request.initImage().isPresent}"
    }

    /** Without a DiT and VAE nothing decodes. */
    override val plannerVaeTile: Int? = if (decoding != null) Ltx2Decoding.PLANNER_TILE else null

    /** The clip's frames and rate, and the VAE tile when it decoded in tiles (the request's or the planner's: pixels differ). */
    override fun infotext(request: GenerationRequest): Map<String, String> =
        Ltx2VideoShape.of(request).infotext() + (if (request.vaeTileSize() > 0) mapOf("VAE tile" to request.vaeTileSize().toString()) else emptyMap())

    override fun image(result: Any): FloatArray = throw UnsupportedModelException("LTX-2 makes videos, not images")

    override fun video(result: Any): DecodedVideo = result as DecodedVideo

    companion object {
        const val GEMMA_PHASE = 0
        const val CONNECTOR_PHASE = 1
        const val IMAGE_ENCODING_PHASE = 2
        const val DENOISING_PHASE = 3
        const val VIDEO_DECODING_PHASE = 4
        const val AUDIO_DECODING_PHASE = 5
        val GEMMA_GRAPH = GraphKey("gemma3")
        val CONNECTOR_GRAPH = GraphKey("ltx2 text connectors")

        /**
         * The pipeline for an LTX-2 [model]; refuses one without Gemma, the connectors or the tokenizer, or with a DiT
         * but no VAE (or the reverse). Without both it runs the conditioning only.
         */
        fun open(model: AssembledModel): Ltx2Pipeline {
            for ((kind, what) in listOf(ComponentKind.TEXT_ENCODER to "the Gemma-3 text encoder (gemma-3-12b-it GGUF or safetensors)",
                    ComponentKind.TEXT_CONNECTORS to "the text connectors (the LTX-2.3 checkpoint and its embeddings_connectors file)")) {
                if (kind !in model.components) throw UnsupportedModelException("the LTX-2 model has no ${kind.label}: pass $what together with the other files")
            }
            val hidden = Ltx2TextCheck.check(model)
            val connectors = model.components.getValue(ComponentKind.TEXT_CONNECTORS)
            val dit = model.components[ComponentKind.DIFFUSION_MODEL]
            val vae = model.components[ComponentKind.VAE]
            if ((dit == null) != (vae == null)) {
                val missing = if (dit == null) "DiT (the LTX-2.3 checkpoint or a DiT GGUF, --diffusion-model)" else "video VAE (the checkpoint's vae.*, or --vae)"
                throw UnsupportedModelException("the LTX-2 model has no $missing: a video needs the DiT and the video VAE together")
            }
            val blocks = dit?.let { Ltx2DitCheck.check(it, connectors).blocks }
            val registers = connectors.tensors.getValue("${Ltx2TextArchitecture.VIDEO_CONNECTOR}.learnable_registers").shape[1].toInt()
            val decoding = if (dit == null) emptyList() else listOf(Ltx2Decoding(DENOISING_PHASE)) + soundPhases(model)
            return Ltx2Pipeline(Ltx2TextPrompts(Gemma3Tokenizer(Gemma3ModelVocabulary.of(model))), Gemma3Component.normWeights(model), hidden,
                registers, blocks, dit?.let { Ltx2FirstFrameEncoding.of(model) }, decoding)
        }

        /**
         * The audio decoder's and the vocoder's phases when the model has both (none without either: a silent clip),
         * once their files are whole and agree on the log-mel between them.
         */
        private fun soundPhases(model: AssembledModel): List<Phase> {
            val audioVae = model.components[ComponentKind.AUDIO_VAE]
            val vocoder = model.components[ComponentKind.VOCODER]
            if (audioVae == null && vocoder == null) return emptyList()
            if (audioVae == null || vocoder == null) {
                val missing = if (audioVae == null) "audio VAE (the checkpoint's audio_vae.*)" else "vocoder (the checkpoint's vocoder.*)"
                throw UnsupportedModelException("the LTX-2 model has no $missing: sound needs the audio VAE and the vocoder together")
            }
            val mel = Ltx2AudioVaeCheck.check(audioVae)
            val file = vocoder.tensors.values.first().file.path
            val voice = try {
                Ltx2VocoderDimensions.of(vocoder).also { Ltx2BweDimensions.of(vocoder, it) }
            } catch (e: IllegalArgumentException) {
                throw ModelFileException(file, null, "is not an LTX-2.3 vocoder: ${e.message}", e)
            }
            if (voice.melBins != mel.melBins || voice.audioChannels != mel.audioChannels) {
                throw ModelFileException(file, null, "reads ${voice.audioChannels} channels of ${voice.melBins} mel bins, but the audio VAE " +
                    "writes ${mel.audioChannels} of ${mel.melBins}: this vocoder is not this audio VAE's")
            }
            return listOf(Ltx2AudioVaePhase(DENOISING_PHASE), Ltx2VocoderPhase(AUDIO_DECODING_PHASE, VIDEO_DECODING_PHASE, mel::melFrames))
        }
    }
}
