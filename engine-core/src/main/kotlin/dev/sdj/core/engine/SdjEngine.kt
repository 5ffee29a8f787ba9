package dev.sdj.core.engine

import dev.sdj.api.CancellationToken
import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.PlacementReport
import dev.sdj.api.ProgressListener
import dev.sdj.api.TuneReport
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.SdConditioner
import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdTextToImage
import dev.sdj.core.image.A1111Names
import dev.sdj.core.image.GenerationParameters
import dev.sdj.core.image.ModelHashCache
import dev.sdj.core.image.PngWriter
import dev.sdj.core.image.RgbImage
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.RequestedWeightType
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.scheduler.Planner
import dev.sdj.core.scheduler.SdCosts
import dev.sdj.core.scheduler.TuneCache
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.locks.ReentrantLock
import kotlin.concurrent.withLock

/**
 * The engine behind [Engine.open]: opens the model once and runs the family's pipeline phase by phase, loading and
 * freeing components through the ledger as the request's placement says: resident (everything stays on the device
 * between phases and generations), sequential (the text encoder is freed before the diffusion model and VAE load) or
 * streamed (as sequential, with the diffusion model's blocks streamed through device slots while the UNet runs).
 *
 * Generations, plans and tuning runs on one engine take turns under one lock: they share the loaded components, the
 * ledger and the kept conditioning. Once closed, every call but [close] throws [IllegalStateException].
 */
class SdjEngine(config: EngineConfig, private val tuneCache: TuneCache = TuneCache.default()) : Engine {
    private val ggml: Ggml = try {
        Ggml.get()
    } catch (e: GgmlException) {
        throw EngineException("ggml is not usable: ${e.message}", e)
    }
    private val model: AssembledModel = ModelAssembly.assemble(ModelOpener.open(config.model(), config.tokenizer().orElse(null)))
    private val family: SdFamily = try {
        SdFamily.of(model.family)
    } catch (e: IllegalArgumentException) {
        throw UnsupportedModelException("${model.family.label} is recognised but cannot generate yet: only SD 1.x and SD 2.x have a pipeline")
    }
    private val tokenizer = ClipTokenizer(vocabulary())
    private val pipeline = SdTextToImage(family, SdConditioner(tokenizer, family.textEncoder,
        if (family.padWithEos) tokenizer.vocab.eosId else 0))
    private val ledger = MemoryLedger()
    /** A1111's checkpoint name and hash, for a model that is one file. */
    private val checkpoint: Path? = model.inputs.singleOrNull()?.source?.takeIf { Files.isRegularFile(it) }
    private val hash: String? by lazy { checkpoint?.let { ModelHashCache.default().hash(it) } }
    private val requestedType: DType? = config.weightType().map { RequestedWeightType.parse(it) }.orElse(null)
    private val decider = PlacementDecider(ggml, model, family, ledger, tuneCache, requestedType, pipeline::contextTokens)
    private val components = ResidentComponents(ggml, ledger, model, requestedType)
    private val sessions = PhaseSessions(ggml, ledger)
    private val streaming = StreamedDenoising(ggml, ledger, model, pipeline, sessions, requestedType)

    /** Serialises the public calls: they all read or change the loaded components and the caches below. */
    private val lock = ReentrantLock()
    private var closed = false

    /** The last prompt's text conditioning and what it was computed from: a repeated prompt skips the text encoder. */
    private var lastConditioning: Pair<String, SdTextToImage.Conditioning>? = null

    /** Compute-buffer bytes of the last generation's graphs, by graph name (for tests and reports). */
    internal val lastComputeBytes: Map<String, Long> get() = sessions.computeBytes

    internal fun residentBytes(kind: ComponentKind): Long? = components.bytes(kind)

    /** Bytes the engine holds now in a memory pool (a buffer type's name). */
    internal fun poolBytes(pool: String): Long = ledger.currentBytes(pool)

    /** Bytes the last generation streamed into the diffusion model's slots (0 unless it was streamed). */
    internal val lastStreamedBytes: Long get() = streaming.lastStreamedBytes

    /** Times the pinned host copy of streamed blocks was loaded from the model file. */
    internal val hostMasterLoads: Int get() = streaming.hostMasterLoads

    init {
        for (kind in SdCosts.PIPELINE) {
            if (kind !in model.components) {
                throw UnsupportedModelException("the model has no ${kind.label}: pass it together with the other files")
            }
        }
        if (model.components.getValue(ComponentKind.TEXT_ENCODER).tensors.keys.none { it.startsWith("text_model.") }) {
            throw UnsupportedModelException("the text encoder's tensors are not named like CLIP's (text_model.… or OpenCLIP's " +
                "transformer.resblocks.…)")
        }
        family.check(model, tokenizer.vocab.size)
    }

    private fun vocabulary(): ClipVocabulary {
        val source = model.tokenizers[ComponentKind.TEXT_ENCODER]
            ?: throw InvalidRequestException("the model carries no tokenizer: pass --tokenizer with a folder holding vocab.json " +
                "and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz")
        val gguf = model.inputs.firstNotNullOfOrNull { it.tensors.firstOrNull()?.first as? GgufFile }
        return ClipVocabulary.load(source, gguf?.values?.get("tokenizer.ggml.tokens")?.asStringList(),
            gguf?.values?.get("tokenizer.ggml.merges")?.asStringList())
    }

    override fun modelFamily(): String = model.family.label

    override fun plan(request: GenerationRequest): PlacementReport = whileOpen { decider.decide(request).report }

    override fun generate(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): GenerationResult =
        whileOpen { generateLocked(request, progress, cancel) }

    /**
     * Runs [work] under the engine's lock, refusing once the engine is closed (it would silently reload the model).
     * What ggml refuses (an op's arguments, a buffer) is an engine error like any other.
     */
    private fun <T> whileOpen(work: () -> T): T = lock.withLock {
        check(!closed) { "the engine is closed: open a new one" }
        try {
            work()
        } catch (e: GgmlException) {
            throw EngineException("ggml refused the work: ${e.message}", e)
        }
    }

    private fun generateLocked(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): GenerationResult {
        val start = System.nanoTime()
        val decision = decider.decide(request)
        val pinned = decider.pinned(request)
        val deviceOf = SdCosts.PIPELINE.associateWith { if (it in pinned) ggml.cpu() else decision.device }
        // A component loaded on another device than this request wants it on is freed first.
        components.free(*components.loaded.filter { components.deviceOf(it) != deviceOf.getValue(it).name() }.toTypedArray())
        deviceOf.values.map { it.bufferType().name() }.distinct().forEach { ledger.resetPeak(it) }
        sessions.clear()
        val streamed = decision.placement == "streamed"
        if (!streamed) streaming.close()
        else if (decision.choice.keepsResidentPart) {
            streaming.keepOnly(decision.device, decision.costs.streaming!!.residentSets[decision.choice.residentBlocks!!])
        } else {
            streaming.releaseResidentPart()
        }
        val oneAtATime = decision.placement != "resident"
        var uploaded = 0L

        // Sequential and streamed: the diffusion model and VAE leave before the text encoder comes, and it leaves
        // before they return. A prompt encoded last time needs no text encoder, so they can stay.
        val textDevice = deviceOf.getValue(ComponentKind.TEXT_ENCODER)
        val conditioningKey = listOf(request.prompt(), request.negativePrompt(), request.clipSkip(), request.cfgScale() != 1.0,
            textDevice.name()).joinToString("\u0000")
        val conditioning = lastConditioning?.takeIf { it.first == conditioningKey }?.second ?: run {
            if (oneAtATime) components.free(ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
            uploaded += components.ensure(deviceOf, ComponentKind.TEXT_ENCODER)
            sessions.run(textDevice, request) { s ->
                pipeline.encode(request, components.weights(ComponentKind.TEXT_ENCODER).at("text_model"), s, progress, cancel)
            }.also { lastConditioning = conditioningKey to it }
        }
        if (oneAtATime) components.free(ComponentKind.TEXT_ENCODER)
        val latent = if (streamed) {
            // Denoising holds only the streamed model on the device: what an earlier generation left there goes first.
            components.freeOn(decision.device, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
            val k = decision.choice.residentBlocks!!
            val s = decision.costs.streaming!!
            val (latent, bytes) = streaming.denoise(request, decision.device, s.residentSets[k], s.slots(k),
                decision.choice.keepsResidentPart, conditioning, progress, cancel)
            uploaded += bytes + components.ensure(deviceOf, ComponentKind.VAE)
            latent
        } else {
            uploaded += components.ensure(deviceOf, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
            val unetDevice = deviceOf.getValue(ComponentKind.DIFFUSION_MODEL)
            sessions.run(unetDevice, request, attention = DiffusionAttention.of(request, unetDevice)) { s ->
                pipeline.denoise(request, components.weights(ComponentKind.DIFFUSION_MODEL), conditioning, s, progress, cancel)
            }
        }
        val image = sessions.run(deviceOf.getValue(ComponentKind.VAE), request) { s ->
            pipeline.decode(request, components.weights(ComponentKind.VAE), latent, s, progress, cancel)
        }

        val rgb = RgbImage.fromDecoderOutput(image, request.width(), request.height())
        val parameters = GenerationParameters(request.prompt(), request.negativePrompt(), request.seed(), request.steps(),
            A1111Names.sampler(request.sampler()), request.cfgScale(), request.width(), request.height(), hash,
            infotextExtras(request), A1111Names.scheduleType(request.schedule()),
            checkpoint?.fileName?.toString()?.substringBeforeLast('.'))
        val png = PngWriter.encode(rgb, parameters.toPngText())
        val peaks = ledger.states().associate { it.pool to it.peakBytes }
        return GenerationResult(png, request.width(), request.height(), request.seed(), parameters.infotext(), peaks, uploaded,
            decision.report, (System.nanoTime() - start) / 1_000_000, if (streamed) streaming.lastWaitNanos / 1_000_000 else 0)
    }

    override fun tune(request: GenerationRequest, steps: Int, progress: ProgressListener): TuneReport = whileOpen {
        if (steps < 1) throw InvalidRequestException("tuning needs at least one step per placement, not $steps")
        val base = request.toBuilder().placement("auto").steps(steps).build()
        val device = decider.decide(base).device
        val trials = ArrayList<TuneReport.Trial>()
        for (placement in Planner.ORDER) {
            val candidate = base.toBuilder().placement(placement).device(device.name()).build()
            try {
                decider.decideOn(device, candidate) ?: continue
            } catch (e: InvalidRequestException) {
                continue    // does not fit the budget
            }
            var first = 0L
            var last = 0L
            val result = generateLocked(candidate, { phase, step, total ->
                if (phase == "denoising" && step == 0) first = System.nanoTime()
                if (phase == "denoising" && step == total) last = System.nanoTime()
                progress.onProgress("$placement: $phase", step, total)
            }, CancellationToken())
            val r = result.placement()
            trials.add(TuneReport.Trial(placement, r.residentBlocks(), r.peakBytes(), r.uploadBytesPerStep(), (last - first) / 1e9 / steps))
        }
        val fastest = trials.minBy { it.secondsPerStep }
        val key = decider.tuneKey(device, base)
        tuneCache.put(key, TuneCache.Entry(fastest.placement(), fastest.residentBlocks(),
            trials.associate { it.placement() to it.secondsPerStep() }, java.time.LocalDate.now().toString()))
        TuneReport(key, trials, fastest)
    }

    /** Waits for a running generation, then frees everything; closing again does nothing. */
    override fun close() = lock.withLock {
        if (closed) return
        closed = true
        components.close()
        streaming.close()
    }

    /** What A1111 writes after the model, in its order; a clip skip of 1 (or the default) is left out as A1111 does. */
    private fun infotextExtras(request: GenerationRequest): Map<String, String> {
        val extra = LinkedHashMap<String, String>()
        if (request.clipSkip() > 1) extra["Clip skip"] = request.clipSkip().toString()
        A1111Names.rng(request.rng())?.let { extra["RNG"] = it }
        // The jar's manifest carries the version; classes run from a build directory have none.
        SdjEngine::class.java.`package`?.implementationVersion?.let { extra["Version"] = "sdj $it" }
        return extra
    }
}
