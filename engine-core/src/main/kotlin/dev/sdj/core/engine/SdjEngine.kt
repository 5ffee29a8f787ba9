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
import dev.sdj.api.ResultListener
import dev.sdj.api.TuneReport
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.A1111Names
import dev.sdj.core.image.ChannelLayout
import dev.sdj.core.image.GenerationParameters
import dev.sdj.core.image.ModelHashCache
import dev.sdj.core.image.PngWriter
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.image.RgbImage
import dev.sdj.core.image.sha256Hex
import dev.sdj.core.lora.LoraApplyMode
import dev.sdj.core.lora.LoraApplyPolicy
import dev.sdj.core.lora.LoraPatch
import dev.sdj.core.lora.LoraTarget
import dev.sdj.core.lora.LowRankComponents
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.lora.Loras
import dev.sdj.core.lora.PromptLoras
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.RequestedWeightType
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.GuidanceBatch
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.core.registry.Families
import dev.sdj.core.scheduler.Planner
import dev.sdj.core.scheduler.TuneCache
import dev.sdj.core.video.AudioTrack
import dev.sdj.core.video.FrameRate
import dev.sdj.core.video.VideoFrames
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import java.nio.file.Files
import java.nio.file.Path
import java.util.Optional
import java.util.concurrent.locks.ReentrantLock
import org.slf4j.LoggerFactory
import kotlin.concurrent.withLock

/**
 * The engine behind [Engine.open]: opens the model once and runs its family's pipeline phase by phase, loading and
 * freeing components through the ledger as the request's placement says: resident (everything stays on the device
 * between phases and generations), sequential (each phase's components loaded for it; of the rest only what fits
 * under the plan's peak stays) or streamed (as sequential, with the diffusion model's blocks streamed through device
 * slots while it runs). It knows no family: the pipeline's phases name their components and graphs.
 *
 * Generations, plans and tuning runs on one engine take turns under one lock: they share the loaded components, the
 * ledger and the reused phase results. Once closed, every call but [close] throws [IllegalStateException].
 */
class SdjEngine(
    config: EngineConfig,
    private val tuneCache: TuneCache = TuneCache.of(config),
    /** How the SHA-256 of a request's init image or mask is computed, once per request ([RequestFileDigests]). */
    private val sha256: (Path) -> String = { sha256Hex(it) },
) : Engine {
    private companion object {
        val LOG = LoggerFactory.getLogger(SdjEngine::class.java)
    }

    private val ggml: Ggml = try {
        Ggml.get()
    } catch (e: GgmlException) {
        throw EngineException("ggml is not usable: ${e.message}", e)
    }
    private val model: AssembledModel = ModelAssembly.assemble(ModelOpener.open(config.model(), config.tokenizer().orElse(null), config.t5Tokenizer().orElse(null)))
    private val pipeline: GenerationPipeline = Families.pipeline(model)
        .also { LOG.info("opened a {} model from {}", model.family.label, config.model()) }
    private val ledger = MemoryLedger()
    /** A1111's checkpoint name and hash, for a model that is one file. */
    private val checkpoint: Path? = model.inputs.singleOrNull()?.source?.takeIf { Files.isRegularFile(it) }
    private val hashes = ModelHashCache.of(config)
    private val hash: String? by lazy { checkpoint?.let { hashes.hash(it) } }
    private val requestedType: DType? = config.weightType().map { RequestedWeightType.parse(it) }.orElse(null)
    /** The model with the current request's low-rank LoRA adapters among its components' tensors ([model] without). */
    private var adapted: AssembledModel = model
    private val components = ResidentComponents(ggml, ledger, { adapted }, requestedType, config.mapWeights())
    private val sessions = PhaseSessions(ggml, ledger)
    private val streaming: Map<ComponentKind, StreamedComponent> =
        pipeline.streamables.associate { it.component to StreamedComponent(ggml, ledger, { adapted }, it, sessions, requestedType) }

    /** The LoRA files requests name, and the patches the current request's merge, by component. */
    private val loras = Loras(pipeline.loraTargets, model.family.label) { t ->
        model.components[t.component]?.tensors?.get(t.tensor)?.shape?.fold(1L) { a, b -> a * b }
    }
    private var patches: Map<ComponentKind, LoraPatch> = emptyMap()
    /** Which way each of the current request's LoRA files applies, and why, by file name (for `plan`). */
    private var loraPaths: Map<String, String> = emptyMap()

    /** The digests of the current request's files, for its phases' reuse keys. */
    private var files = RequestFileDigests(sha256)

    /** The last result of each phase that may be reused, by phase index, with the key it was computed for. */
    private val reusable = HashMap<Int, Pair<String, Any>>()

    private val state = object : EngineState {
        override fun loaded(device: Device, streamedResident: Map<ComponentKind, Set<String>>): Set<ComponentKind> {
            val whole = components.loaded.filter {
                components.deviceOf(it) == device.name() && it !in streamedResident && components.patchableInPlace(it, patches[it])
            }
            val parts = streamedResident.filter { (kind, set) -> streaming.getValue(kind).holds(device, set) }.keys
            return (whole + parts).toSet()
        }

        override fun switchUploads(kind: ComponentKind, device: Device, streamedResident: Map<ComponentKind, Set<String>>): Long =
            streamedResident[kind]?.let { streaming.getValue(kind).switchBytes(device, it, patches[kind]) }
                ?: components.switchBytes(kind, device, patches[kind])

        override fun reused(request: GenerationRequest, deviceOf: (ComponentKind) -> Device): Set<Int> =
            pipeline.phases.indices.filter { i -> reuseKey(i, request, deviceOf)?.let { reusable[i]?.first == it } == true }.toSet()

        override fun reusedByLaterImages(request: GenerationRequest): Set<Int> =
            pipeline.phases.indices.filter { pipeline.phases[it].reuseKey(request, files) != null }.toSet()
    }
    private val decider = PlacementDecider(ggml, { adapted }, pipeline, ledger, tuneCache, requestedType, state, config.mapWeights(),
        { loraPaths }) {
        patches.mapValues { it.value.names }
    }

    /** Serialises the public calls: they all read or change the loaded components and the caches below. */
    private val lock = ReentrantLock()
    private var closed = false

    /** Compute-buffer bytes of the last generation's graphs, by graph name (for tests and reports). */
    internal val lastComputeBytes: Map<String, Long> get() = sessions.computeBytes

    internal fun residentBytes(kind: ComponentKind): Long? = components.bytes(kind)

    /** A loaded component's parameter bytes served from the mapped model files (see [EngineConfig.mapWeights]). */
    internal fun mappedBytes(kind: ComponentKind): Long? = components.mappedBytes(kind)

    /** Bytes the engine holds now in a memory pool (a buffer type's name). */
    internal fun poolBytes(pool: String): Long = ledger.currentBytes(pool)

    /** Bytes the last generation streamed into stream slots (0 unless it was streamed). */
    internal var lastStreamedBytes: Long = 0L
        private set

    /** Times a pinned host copy of streamed blocks was loaded from the model file. */
    internal val hostMasterLoads: Int get() = streaming.values.sumOf { it.hostMasterLoads }

    /** Times a streamed component's resident part was loaded (its weights; LoRA adapters apart). */
    internal val residentPartLoads: Int get() = streaming.values.sumOf { it.residentPartLoads }

    /**
     * A phase's reuse key for [request], with the devices its components run on (their results differ in rounding), the
     * LoRAs that change their weights or add to their products, and for the VAE's phases the convolution path (the
     * paths differ in rounding too).
     */
    private fun reuseKey(phase: Int, request: GenerationRequest, deviceOf: (ComponentKind) -> Device): String? {
        val p = pipeline.phases[phase]
        return p.reuseKey(request, files)?.let { key ->
            key + "\u0000" + p.components.joinToString(",") { deviceOf(it).name() } + "\u0000" + p.components.joinToString(",") { patches[it]?.key ?: "" } +
                "\u0000" + p.components.joinToString(",") { adapted.components[it]?.adapters?.toString() ?: "" } +
                (if (ComponentKind.VAE in p.components) "\u0000vae conv direct ${PhaseConvolution.direct(request)}" else "")
        }
    }

    /**
     * Starts the request [asked]: its files are digested afresh, once for all its reuse keys, and its LoRAs applied
     * ([withLoras]).
     */
    private fun begin(asked: GenerationRequest): GenerationRequest {
        files = RequestFileDigests(sha256)
        return withLoras(asked)
    }

    /**
     * [request] with the LoRAs its prompt names (`<lora:name:weight>`) added to its own and the tags removed from the
     * prompt the encoders read; the patches they make become the engine's current ones. An init image the family
     * cannot start from, or a mask it cannot inpaint with, is refused here, before anything is planned.
     */
    private fun withLoras(request: GenerationRequest): GenerationRequest {
        if (request.initImage().isPresent && !pipeline.takesInitImage) {
            throw UnsupportedModelException("${model.family.label} cannot start from an init image yet: only SD 1.x, SD 2.x, SDXL and Flux (image-to-image) and LTX-2 with its DiT (image-to-video) can")
        }
        if (request.mask().isPresent && !pipeline.takesMask) {
            throw UnsupportedModelException("${model.family.label} cannot inpaint with a mask yet: only SD 1.x, SD 2.x and SDXL can")
        }
        val extracted = PromptLoras.extract(request.prompt(), request.loraModelDir().orElse(null))
        val expanded = if (extracted.loras.isEmpty()) request
            else request.toBuilder().prompt(extracted.prompt).loras(request.loras() + extracted.loras).build()
        val mode = LoraApplyMode.parse(expanded.loraApplyMode())
        val application = loras.apply(expanded.loras()) { t -> LoraApplyPolicy.path(mode, t, pipeline.takesLowRankLoras, quantizedType(t)) }
        patches = application.patches
        loraPaths = application.paths
        adapted = if (application.lowRank.isEmpty()) model else model.copy(components = model.components.mapValues { (kind, c) ->
            application.lowRank[kind]?.let { LowRankComponents.adapt(c, it) } ?: c
        })
        return expanded
    }

    /** The quantized type [target]'s weight has on the device (as stored, or as `--type` converts it), or null. */
    private fun quantizedType(target: LoraTarget): String? {
        val ref = model.components[target.component]?.tensors?.get(target.tensor) ?: return null
        if (ref.type.isQuantized) return ref.type.ggml?.ggmlName() ?: ref.type.toString()
        val requested = requestedType?.takeIf { it.isQuantized } ?: return null
        return requested.ggml!!.ggmlName().takeIf { SdCppTypeRule.converts(target.tensor, ParamSpecs.ggmlShape(ref.shape), requested) }
    }

    override fun modelFamily(): String = model.family.label

    override fun plan(request: GenerationRequest): PlacementReport = whileOpen { decider.decide(begin(request)).report }

    override fun generate(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): GenerationResult {
        if (request.batchCount() != 1) {
            throw InvalidRequestException("the request asks for a batch of ${request.batchCount()} images and generate returns one: " +
                "use generateBatch, which hands over each image as it is done")
        }
        var one: GenerationResult? = null
        generateBatch(request, progress, cancel) { _, result -> one = result }
        return one!!
    }

    override fun generateBatch(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken, onResult: ResultListener) =
        whileOpen { generateLocked(request, progress, cancel, onResult) }

    /**
     * The conditioning phases of [request] (those before the denoiser) run under the placement [generate] would use,
     * their results by phase — for a family whose pipeline is not whole yet, and for measuring the conditioning alone.
     */
    internal fun condition(asked: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): Conditioned = whileOpen {
        val start = System.nanoTime()
        val decision = prepare(begin(asked))
        val run = runPhases(decision, decision.request, progress, cancel, minOf(pipeline.denoiserPhase, pipeline.phases.size))
        Conditioned(run.results.toList(), run.uploaded, decision.report, ledger.states().associate { it.pool to it.peakBytes },
            (System.nanoTime() - start) / 1_000_000)
    }

    /** What [condition] returns: each conditioning phase's result, the bytes uploaded, the plan and the pools' peaks. */
    internal class Conditioned(val results: List<Any?>, val uploadedBytes: Long, val placement: PlacementReport,
                               val peakBytes: Map<String, Long>, val millis: Long)

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

    /**
     * Decides the placement once for the whole batch (with the LoRAs the prompt names, and the VAE tiling the planner
     * may choose), then runs every phase per image; the conditioning phases' reuse keys hold no seed, so only the first
     * image encodes the prompt and the init image and the others reuse its results (each image's noise follows its own
     * seed, the init image's latent is drawn from the first seed, as stable-diffusion.cpp does).
     */
    private fun generateLocked(asked: GenerationRequest, progress: ProgressListener, cancel: CancellationToken, onResult: ResultListener) {
        pipeline.unfinished?.let { throw UnsupportedModelException(it) }
        var start = System.nanoTime()
        val decision = prepare(begin(asked))
        val request = decision.request
        val seeds = BatchSeeds.of(request)
        for (index in 0 until request.batchCount()) {
            val image = request.toBuilder().seed(seeds.seed(index)).batchCount(1).build()
            progress.onImage(index, request.batchCount())
            val run = runPhases(decision, image, progress, cancel, pipeline.phases.size, seeds.first)
            onResult.onResult(index, result(asked.prompt(), image, decision, run, (System.nanoTime() - start) / 1_000_000))
            start = System.nanoTime()
        }
    }

    /**
     * The image (or clip) of [request]'s finished [run], with its parameters text (the [prompt] as asked, LoRA tags
     * and all), as the API hands it over.
     */
    private fun result(prompt: String, request: GenerationRequest, decision: Decision, run: PhasesRun, millis: Long): GenerationResult {
        val output = run.results.last()!!
        val video = pipeline.video(output)?.let { decoded ->
            VideoFrames.fromDecoderOutput(decoded.values, decoded.width, decoded.height, decoded.frames, FrameRate(decoded.fps, 1), ChannelLayout.INTERLEAVED)
                .withAudio(decoded.sound?.let { AudioTrack.fromPlanar(it.planar, it.channels, it.sampleRate) })
        }
        val rgb = video?.frames?.first() ?: RgbImage.fromDecoderOutput(pipeline.image(output), request.width(), request.height())
        val parameters = GenerationParameters(prompt, request.negativePrompt(), request.seed(), request.steps(),
            A1111Names.sampler(request.sampler()), request.cfgScale(), rgb.width, rgb.height, hash,
            infotextExtras(request), A1111Names.scheduleType(request.schedule()),
            checkpoint?.fileName?.toString()?.substringBeforeLast('.'))
        val png = PngWriter.encode(rgb, parameters.toPngText())
        val peaks = ledger.states().associate { it.pool to it.peakBytes }
        return GenerationResult(png, rgb.width, rgb.height, request.seed(), parameters.infotext(), peaks, run.uploaded,
            decision.report, millis, run.waitNanos / 1_000_000, Optional.ofNullable(video?.toGeneratedVideo()))
    }

    /** The decision for [request], with the device readied for it: components elsewhere freed, peaks reset, streams set. */
    private fun prepare(request: GenerationRequest): Decision {
        val decision = decider.decide(request)
        LOG.debug("running {}x{} in {} steps: {} on {} ({})", request.width(), request.height(), request.steps(),
            decision.placement, decision.device.name(), decision.report.reason())
        val where = decision.where
        // A component loaded on another device than this request wants it on is freed first.
        components.free(*components.loaded.filter { components.deviceOf(it) != where.of(it).name() }.toTypedArray())
        components.settle { patches[it] }
        (pipeline.components.map { where.of(it).bufferType().name() } + MemoryLedger.MAPPED_POOL).distinct().forEach { ledger.resetPeak(it) }
        sessions.clear()
        val residentSets = decision.residentSets
        for ((kind, stream) in streaming) {
            val set = residentSets[kind]
            if (set == null) {
                stream.close()
            } else {
                stream.keepOnly(decision.device, set)
                // The streamed component's resident part stands in for it: a whole copy an earlier generation left goes.
                components.freeOn(decision.device, kind)
            }
        }
        lastStreamedBytes = 0L
        return decision
    }

    /** The results of a run of phases, the parameter bytes it uploaded, and how long it waited for streamed uploads. */
    private class PhasesRun(val results: Array<Any?>, val uploaded: Long, val waitNanos: Long)

    /**
     * Runs phases 0 until [end] as [decision] places them, reusing the results kept for equal reuse keys; [batchSeed]
     * is the seed of the batch's first image ([PhaseRun.batchSeed]).
     */
    private fun runPhases(decision: Decision, request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken,
                          end: Int, batchSeed: Long = request.seed()): PhasesRun {
        val where = decision.where
        var uploadWaitNanos = 0L
        var uploaded = 0L
        val results = arrayOfNulls<Any>(pipeline.phases.size)
        try {
            for (i in 0 until end) {
                if (!pipeline.phases[i].runsFor(request)) continue
                val key = reuseKey(i, request, where::of)
                val kept = key?.let { k -> reusable[i]?.takeIf { it.first == k }?.second }
                if (kept != null) {
                    results[i] = kept
                    continue
                }
                makeRoom(decision, i)
                val ran = runPhase(decision, i, PhaseInputs(request, progress, cancel, results.toList(), batchSeed))
                LOG.debug("{} done", pipeline.phases[i].label)
                results[i] = ran.result
                uploaded += ran.uploaded
                lastStreamedBytes += ran.streamed
                uploadWaitNanos += ran.waitNanos
                key?.let { reusable[i] = it to ran.result }
            }
        } catch (e: Throwable) {
            // A one-at-a-time plan cut short starts the next generation from an empty device, not from wherever it stopped.
            if (decision.placement != "resident") freeDevice(decision)
            throw e
        }
        return PhasesRun(results, uploaded, uploadWaitNanos)
    }

    private class PhaseInputs(val request: GenerationRequest, val progress: ProgressListener, val cancel: CancellationToken,
                              val earlier: List<Any?>, val batchSeed: Long)

    /**
     * A phase's run: its result, the parameter bytes uploaded for it (loading and streaming), those streamed through
     * slots, and how long its computation waited for them.
     */
    private class PhaseOutcome(val result: Any, val uploaded: Long, val streamed: Long = 0L, val waitNanos: Long = 0L)

    /**
     * Loads what phase [i] needs where the decision puts it and runs it — a streamed component's phase through the
     * stream slots when the placement streams it.
     */
    private fun runPhase(decision: Decision, i: Int, inputs: PhaseInputs): PhaseOutcome {
        val phase = pipeline.phases[i]
        val stream = decision.costs.streams.withIndex().firstOrNull { it.value.phase == i && decision.residentSets.containsKey(it.value.component) }
        val streamedKind = stream?.value?.component
        val needs = (phase.components + decision.residency.needs[i]).distinct().filter { it != streamedKind }
        val uploaded = components.ensure(decision.where::of, needs) { patches[it] }
        LOG.debug("{}: {} in place ({} bytes loaded)", phase.label, needs, uploaded)
        fun run(weights: (ComponentKind) -> Weights, session: GraphSession): Any =
            phase.run(PhaseRun(inputs.request, weights, session, inputs.progress, inputs.cancel, inputs.earlier, inputs.batchSeed))
        val device = if (stream != null) decision.device else phase.components.firstOrNull()?.let(decision.where::of) ?: decision.device
        val attention = if (i == pipeline.denoiserPhase) DiffusionAttention.of(inputs.request, device) else NaiveAttention
        if (stream != null) {
            val slots = stream.value.costs.slots(decision.choice.residentBlocks!![stream.index])
            val streamed = streaming.getValue(streamedKind!!)
            val (result, bytes) = streamed.run(inputs.request, device, decision.residentSets.getValue(streamedKind), slots, attention,
                patches[streamedKind]) { w, s ->
                run({ kind -> if (kind == streamedKind) w else components.weights(kind) }, s)
            }
            return PhaseOutcome(result, uploaded + bytes, streamed.lastStreamedBytes, streamed.lastWaitNanos)
        }
        val convolution = PhaseConvolution.of(phase, inputs.request, device)
        return PhaseOutcome(sessions.run(device, inputs.request, attention = attention, convolution = convolution) { s ->
            run(components::weights, s)
        }, uploaded)
    }

    /**
     * Before phase [phase] runs: of what is on the device besides its needs, frees what the plan's residency does not
     * keep, so loading what the phase needs stays within the plan's peak.
     */
    private fun makeRoom(decision: Decision, phase: Int) {
        val loaded = state.loaded(decision.device, decision.residentSets)
        val keep = decision.residency.kept(phase, loaded) + decision.residency.needs[phase]
        (loaded - keep).forEach { freeOnDevice(decision, it) }
    }

    private fun freeOnDevice(decision: Decision, kind: ComponentKind) {
        if (kind in decision.residentSets) streaming.getValue(kind).releaseResidentPart()
        else components.freeOn(decision.device, kind)
    }

    private fun freeDevice(decision: Decision) {
        components.freeOn(decision.device, *pipeline.components.toTypedArray())
        streaming.values.forEach { it.releaseResidentPart() }
    }

    override fun tune(request: GenerationRequest, steps: Int, progress: ProgressListener): TuneReport = whileOpen {
        pipeline.unfinished?.let { throw UnsupportedModelException(it) }
        if (steps < 1) throw InvalidRequestException("tuning needs at least one step per placement, not $steps")
        val base = request.toBuilder().placement("auto").steps(steps).batchCount(1).build()
        // Choosing the device weighs what it could reuse: the request's files are digested afresh, as each trial's are.
        files = RequestFileDigests(sha256)
        val timed = (pipeline.phases.getOrNull(pipeline.denoiserPhase) ?: pipeline.phases.last()).label
        val device = decider.decide(base).device
        val trials = ArrayList<TuneReport.Trial>()
        // With guidance the planner may batch it: each placement both ways, unless the request chose.
        val batches = if (base.cfgBatch() == GuidanceBatch.AUTO && GuidanceBatch.applies(pipeline, base)) listOf(GuidanceBatch.OFF, GuidanceBatch.ON)
            else listOf(base.cfgBatch())
        for (placement in Planner.ORDER) for (batch in batches) {
            // One step more than timed: the first pays for first use (shader compilation, page faults), not for the placement.
            val candidate = base.toBuilder().placement(placement).cfgBatch(batch).device(device.name()).steps(steps + 1).build()
            try {
                decider.decideOn(device, candidate) ?: continue
            } catch (e: InvalidRequestException) {
                continue    // does not fit the budget
            }
            var first = 0L
            var last = 0L
            var result: GenerationResult? = null
            generateLocked(candidate, { phase, step, total ->
                if (phase == timed && step == 1) first = System.nanoTime()
                if (phase == timed && step == total) last = System.nanoTime()
                progress.onProgress("$placement${if (batches.size > 1) ", cfg batch $batch" else ""}: $phase", step, total)
            }, CancellationToken()) { _, one -> result = one }
            val r = result!!.placement()
            trials.add(TuneReport.Trial(placement, batch, r.residentBlocks(), r.peakBytes(), r.uploadBytesPerStep(), (last - first) / 1e9 / steps))
        }
        val fastest = trials.minBy { it.secondsPerStep }
        val key = decider.tuneKey(device, base)
        fun name(t: TuneReport.Trial) = if (batches.size > 1) "${t.placement()}, cfg batch ${t.cfgBatch()}" else t.placement()
        tuneCache.put(key, TuneCache.Entry(fastest.placement(), fastest.residentBlocks(),
            trials.associate { name(it) to it.secondsPerStep() }, java.time.LocalDate.now().toString(),
            fastest.cfgBatch().takeIf { batches.size > 1 }))
        TuneReport(key, trials, fastest)
    }

    /** Waits for a running generation, then frees everything; closing again does nothing. */
    override fun close(): Unit = lock.withLock {
        if (closed) return
        closed = true
        components.close()
        streaming.values.forEach { it.close() }
    }

    /** What A1111 writes after the model, in its order; a clip skip of 1 (or the default) is left out as A1111 does. */
    private fun infotextExtras(request: GenerationRequest): Map<String, String> {
        val extra = LinkedHashMap<String, String>()
        if (request.clipSkip() > 1) extra["Clip skip"] = request.clipSkip().toString()
        A1111Names.rng(request.rng())?.let { extra["RNG"] = it }
        if (request.loras().isNotEmpty()) extra["Lora hashes"] = loras.hashes(request.loras())
        if (request.initImage().isPresent) extra["Denoising strength"] = request.strength().toString()
        // The jar's manifest carries the version; classes run from a build directory have none.
        SdjEngine::class.java.`package`?.implementationVersion?.let { extra["Version"] = "sdj $it" }
        extra.putAll(pipeline.infotext(request))
        return extra
    }
}
