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
import dev.sdj.core.scheduler.TuneCache
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.device.Devices
import dev.sdj.core.scheduler.Costs
import dev.sdj.core.scheduler.Planner
import dev.sdj.core.scheduler.SdCosts
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.family.sd.SdConditioner
import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdTextToImage
import dev.sdj.core.graph.GraphExecutor
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.family.sd.SdUnetBlocks
import dev.sdj.core.memory.BlockMaster
import dev.sdj.core.memory.FileMaster
import dev.sdj.core.memory.HostBufferMaster
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.StreamedParams
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.BufferType
import dev.sdj.core.scheduler.StreamingExecutor
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.GenerationParameters
import dev.sdj.core.image.PngWriter
import dev.sdj.core.image.RgbImage
import dev.sdj.core.image.modelHash
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.UploadType
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import java.nio.file.Files

/**
 * The engine behind [Engine.open]: opens the model once and runs the family's pipeline phase by phase, loading and
 * freeing components through the ledger as the request's placement says: resident (everything stays on the device
 * between phases and generations), sequential (the text encoder is freed before the diffusion model and VAE load) or
 * streamed (as sequential, with the diffusion model's blocks streamed through device slots while the UNet runs).
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
    private val hash: String? by lazy {
        model.inputs.singleOrNull()?.source?.takeIf { Files.isRegularFile(it) }?.let { modelHash(it) }
    }

    /** The device each resident component's parameters are on; they stay between generations while the plan allows. */
    private val residentOn = HashMap<ComponentKind, String>()
    private val resident = LinkedHashMap<ComponentKind, ParamBuffer>()

    /** The last prompt's text conditioning and what it was computed from: a repeated prompt skips the text encoder. */
    private var lastConditioning: Pair<String, SdTextToImage.Conditioning>? = null

    /** Compute-buffer bytes of the last generation's graphs, by graph name (for tests and reports). */
    internal val lastComputeBytes = LinkedHashMap<String, Long>()

    internal fun residentBytes(kind: ComponentKind): Long? = resident[kind]?.bytes

    /** Bytes the engine holds now in a memory pool (a buffer type's name). */
    internal fun poolBytes(pool: String): Long = ledger.currentBytes(pool)

    /** Bytes the last generation streamed into the diffusion model's slots (0 unless it was streamed). */
    internal var lastStreamedBytes = 0L
        private set

    init {
        for (kind in PIPELINE) {
            if (kind !in model.components) {
                throw UnsupportedModelException("the model has no ${kind.label}: pass it together with the other files")
            }
        }
        if (model.components.getValue(ComponentKind.TEXT_ENCODER).tensors.keys.none { it.startsWith("text_model.") }) {
            throw UnsupportedModelException("the text encoder's tensors are not named like CLIP's (text_model.… or OpenCLIP's " +
                "transformer.resblocks.…)")
        }
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

    override fun plan(request: GenerationRequest): PlacementReport = decide(request).report

    private class Decision(val device: Device, val choice: Planner.Choice, val costs: Costs, val report: PlacementReport) {
        val placement: String get() = choice.placement
    }

    /**
     * The device and placement for a request: the named device, else the first accelerator; on it the fastest
     * placement that fits its budget (or the request's cap). An accelerator the engine chose itself falls back to
     * the CPU when nothing fits; a named device, or a forced placement, that does not fit is an error naming the
     * smallest budget that works.
     */
    private fun decide(request: GenerationRequest): Decision {
        val device = chooseDevice(request)
        decideOn(device, request)?.let { return it }
        if (request.device().isPresent || device.type() == DeviceType.CPU) {
            val costs = costs(device, request)
            throw InvalidRequestException("the model does not fit ${device.name()}: it needs at least " +
                "${Planner.mib(costs.smallest)} (${Planner.smallestName(costs)}) and the budget is " +
                "${Planner.mib(budget(device, request).first)}" +
                (Planner.decodeHint(costs, costs.smallest)?.takeIf { device.type() != DeviceType.CPU }?.let { "; $it" } ?: ""))
        }
        val cpu = ggml.cpu()
        return decideOn(cpu, request) ?: throw InvalidRequestException("the model fits neither ${device.name()} nor the CPU's memory")
    }

    private fun decideOn(device: Device, request: GenerationRequest): Decision? {
        val costs = costs(device, request)
        val (budget, source) = budget(device, request)
        val choice = tunedChoice(device, request, costs, budget) ?: Planner.choose(costs, budget, request.placement()) ?: return null
        val blocks = costs.streaming?.blocks ?: 0
        val resident = choice.residentBlocks ?: blocks
        val perStep = if (choice.residentBlocks == null) 0L else evaluationsPerStep(request) * costs.streaming!!.streamedBytes[resident]
        val perGeneration = when (choice.placement) {
            "resident" -> 0L
            "sequential" -> costs.uploads.values.sum()
            else -> costs.uploads.filterKeys { it != ComponentKind.DIFFUSION_MODEL }.values.sum() +
                costs.streaming!!.fixedUploadBytes[resident] + perStep * request.steps()
        }
        val peaks = Planner.ORDER.filter { it != "streamed" || costs.streaming != null }.associateWith { costs.peak(it) }
        val report = PlacementReport(device.name(), choice.placement, choice.peak, budget, source, choice.why, peaks,
            costs.params.mapKeys { it.key.label }, costs.compute, blocks, resident, perStep, perGeneration,
            phases(choice.placement, if (device.type() == DeviceType.CPU) emptySet() else pinned(request), resident, blocks),
            if (choice.residentBlocks == null) emptyList() else costs.streaming!!.streamedNames(resident))
        return Decision(device, choice, costs, report)
    }

    /** For an auto request: the placement `tune` stored for this shape, when it still fits the budget. */
    private fun tunedChoice(device: Device, request: GenerationRequest, costs: Costs, budget: Long): Planner.Choice? {
        if (request.placement() != "auto") return null
        val tuned = tuneCache.get(tuneKey(device, request)) ?: return null
        val choice = try {
            Planner.choose(costs, budget, tuned.placement) ?: return null
        } catch (e: InvalidRequestException) {
            return null
        }
        val times = tuned.secondsPerStep.entries.joinToString { (p, s) -> String.format(java.util.Locale.ROOT, "%s %.2f s/step", p, s) }
        return choice.copy(why = "tuned on ${tuned.measuredAt}: ${tuned.placement} was the fastest that fits ($times)")
    }

    /** What a tuned choice applies to: the device, the model files as they are now, and the request's shape and cap. */
    private fun tuneKey(device: Device, request: GenerationRequest): String {
        val files = model.inputs.joinToString(",") { input ->
            val p = input.source.toAbsolutePath().normalize()
            if (Files.isRegularFile(p)) "$p:${Files.size(p)}:${Files.getLastModifiedTime(p).toMillis()}" else p.toString()
        }
        val cap = request.maxDeviceMemory().let { if (it.isPresent) it.asLong.toString() else "device budget" }
        return "${device.name()} (${device.description()}) | $files | ${request.width()}x${request.height()} | " +
            "${evaluationsPerStep(request)} evaluations/step | cpu ${request.cpuComponents().sorted()} | cap $cap | " +
            "vae tile ${request.vaeTileSize()}"
    }

    override fun tune(request: GenerationRequest, steps: Int, progress: ProgressListener): TuneReport {
        if (steps < 1) throw InvalidRequestException("tuning needs at least one step per placement, not $steps")
        val base = request.toBuilder().placement("auto").steps(steps).build()
        val device = decide(base).device
        val trials = ArrayList<TuneReport.Trial>()
        for (placement in Planner.ORDER) {
            val candidate = base.toBuilder().placement(placement).device(device.name()).build()
            try {
                decideOn(device, candidate) ?: continue
            } catch (e: InvalidRequestException) {
                continue    // does not fit the budget
            }
            var first = 0L
            var last = 0L
            val result = generate(candidate, { phase, step, total ->
                if (phase == "denoising" && step == 0) first = System.nanoTime()
                if (phase == "denoising" && step == total) last = System.nanoTime()
                progress.onProgress("$placement: $phase", step, total)
            }, CancellationToken())
            val r = result.placement()
            trials.add(TuneReport.Trial(placement, r.residentBlocks(), r.peakBytes(), r.uploadBytesPerStep(), (last - first) / 1e9 / steps))
        }
        val fastest = trials.minBy { it.secondsPerStep }
        val key = tuneKey(device, base)
        tuneCache.put(key, TuneCache.Entry(fastest.placement(), fastest.residentBlocks(),
            trials.associate { it.placement() to it.secondsPerStep() }, java.time.LocalDate.now().toString()))
        return TuneReport(key, trials, fastest)
    }

    /** What is in memory in each phase under a placement, and where; mirrors what [generate] loads and frees. */
    private fun phases(placement: String, pinned: Set<ComponentKind>, residentBlocks: Int, blocks: Int): Map<String, Map<String, String>> {
        val te = ComponentKind.TEXT_ENCODER
        val unet = ComponentKind.DIFFUSION_MODEL
        val vae = ComponentKind.VAE
        val present = when (placement) {
            "resident" -> listOf(listOf(te, unet, vae), listOf(te, unet, vae), listOf(te, unet, vae))
            "sequential" -> listOf(listOf(te), listOf(unet, vae), listOf(unet, vae))
            else -> listOf(listOf(te), listOf(unet), listOf(vae))
        }
        fun where(kind: ComponentKind) = when {
            kind in pinned -> "cpu"
            kind == unet && placement == "streamed" -> "streamed ($residentBlocks of $blocks blocks resident)"
            else -> "device"
        }
        return listOf("text encoding", "denoising", "decoding").zip(present)
            .associate { (phase, kinds) -> phase to kinds.associate { it.label to where(it) } }
    }

    /** Model evaluations per denoising step: two with classifier-free guidance (prompt and negative prompt). */
    private fun evaluationsPerStep(request: GenerationRequest): Int = if (request.cfgScale() != 1.0) 2 else 1

    private val costCache = HashMap<String, Costs>()

    /** What stays on [device]: everything measured there, less the components pinned to the CPU. */
    private fun costs(device: Device, request: GenerationRequest): Costs =
        costCache.getOrPut("${device.name()} ${request.width()}x${request.height()} tile ${request.vaeTileSize()}") {
            SdCosts.measure(ggml, model, family, device, request.width(), request.height(), SdTextToImage.decodeTiling(request))
        }.let { if (device.type() == DeviceType.CPU) it else it.without(pinned(request)) }

    private fun pinned(request: GenerationRequest): Set<ComponentKind> = request.cpuComponents().map {
        if (it == "vae") ComponentKind.VAE else ComponentKind.TEXT_ENCODER
    }.toSet()

    /** The budget and where it came from; memory this engine already holds there counts as available to it. */
    private fun budget(device: Device, request: GenerationRequest): Pair<Long, String> {
        request.maxDeviceMemory().let { if (it.isPresent) return it.asLong to "requested cap" }
        val info = deviceReport.devices().firstOrNull { it.name() == device.name() }
            ?: return device.memory().free() to "ggml free memory"
        val held = ledger.currentBytes(device.bufferType().name())
        return info.budget().bytes() + held to info.budget().source()
    }

    private val deviceReport by lazy { Devices.report() }

    override fun generate(request: GenerationRequest, progress: ProgressListener, cancel: CancellationToken): GenerationResult {
        val start = System.nanoTime()
        val decision = decide(request)
        val pinned = pinned(request)
        val deviceOf = SdCosts.PIPELINE.associateWith { if (it in pinned) ggml.cpu() else decision.device }
        // A component resident on another device than this request wants it on is freed first.
        free(*resident.keys.filter { residentOn[it] != deviceOf.getValue(it).name() }.toTypedArray())
        deviceOf.values.map { it.bufferType().name() }.distinct().forEach { ledger.resetPeak(it) }
        lastComputeBytes.clear()
        lastStreamedBytes = 0
        if (decision.placement != "streamed") freeHostMaster()
        val oneAtATime = decision.placement != "resident"
        var uploaded = 0L

        // Sequential and streamed: the diffusion model and VAE leave before the text encoder comes, and it leaves
        // before they return. A prompt encoded last time needs no text encoder, so they can stay.
        val textDevice = deviceOf.getValue(ComponentKind.TEXT_ENCODER)
        val conditioningKey = listOf(request.prompt(), request.negativePrompt(), request.clipSkip(), request.cfgScale() != 1.0,
            textDevice.name()).joinToString("\u0000")
        val conditioning = lastConditioning?.takeIf { it.first == conditioningKey }?.second ?: run {
            if (oneAtATime) free(ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
            uploaded += ensure(deviceOf, ComponentKind.TEXT_ENCODER)
            session(textDevice, request) { s ->
                pipeline.encode(request, weights(ComponentKind.TEXT_ENCODER).at("text_model"), s, progress, cancel)
            }.also { lastConditioning = conditioningKey to it }
        }
        if (oneAtATime) free(ComponentKind.TEXT_ENCODER)
        val latent = if (decision.placement == "streamed") {
            // Denoising holds only the streamed model on the device: what an earlier generation left there goes first.
            free(*listOf(ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE).filter { residentOn[it] == decision.device.name() }.toTypedArray())
            val (latent, bytes) = denoiseStreamed(request, decision, conditioning, progress, cancel)
            uploaded += bytes + ensure(deviceOf, ComponentKind.VAE)
            latent
        } else {
            uploaded += ensure(deviceOf, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
            session(deviceOf.getValue(ComponentKind.DIFFUSION_MODEL), request) { s ->
                pipeline.denoise(request, weights(ComponentKind.DIFFUSION_MODEL), conditioning, s, progress, cancel)
            }
        }
        val image = session(deviceOf.getValue(ComponentKind.VAE), request) { s -> pipeline.decode(request, weights(ComponentKind.VAE), latent, s, progress) }

        val rgb = RgbImage.fromDecoderOutput(image, request.width(), request.height())
        val parameters = GenerationParameters(request.prompt(), request.negativePrompt(), request.seed(), request.steps(),
            request.sampler(), request.cfgScale(), request.width(), request.height(), hash)
        val png = PngWriter.encode(rgb, parameters.toPngText())
        val peaks = ledger.states().associate { it.pool to it.peakBytes }
        return GenerationResult(png, request.width(), request.height(), request.seed(), parameters.infotext(), peaks, uploaded,
            decision.report, (System.nanoTime() - start) / 1_000_000)
    }

    /**
     * Denoises with the diffusion model streamed: its core and resident blocks loaded, the other blocks passing
     * through stream slots from the host's master copy while the UNet runs; all of it freed afterwards.
     * @return the latent and the parameter bytes uploaded to the device
     */
    private fun denoiseStreamed(request: GenerationRequest, decision: Decision, conditioning: SdTextToImage.Conditioning,
                                progress: ProgressListener, cancel: CancellationToken): Pair<FloatArray, Long> {
        val device = decision.device
        val k = decision.choice.residentBlocks!!
        val component = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val structure = SdUnetBlocks.of(ParamSpecs.of(component, UploadType.bf16Supported(ggml, device)).specs)
        val resident = decision.costs.streaming!!.residentSets[k]
        val streamedSpecs = structure.blocks.filter { it.name !in resident }.flatMap { it.specs }
        val owner = ComponentKind.DIFFUSION_MODEL.label
        val host = device.hostBufferType()
        val fileMaster = if (host.isPresent) null else FileMaster(component.tensors)
        val master: BlockMaster = fileMaster ?: hostMaster(device, host.get(), streamedSpecs, component.tensors)
        val params = try {
            StreamedParams.allocate(ggml, ledger, device.bufferType(), structure, resident, decision.costs.streaming.slots(k), owner, master)
        } catch (e: GgmlException) {
            fileMaster?.close()
            throw EngineException("cannot allocate the ${owner} on ${device.name()}: ${e.message}", e)
        }
        try {
            params.use { p -> return denoiseWith(p, request, device, component.tensors, conditioning, progress, cancel) }
        } finally {
            fileMaster?.close()
        }
    }

    /** Loads the resident part, then denoises with the streamed blocks uploaded slice by slice. */
    private fun denoiseWith(p: StreamedParams, request: GenerationRequest, device: Device, sources: Map<String, TensorRef>,
                            conditioning: SdTextToImage.Conditioning, progress: ProgressListener, cancel: CancellationToken): Pair<FloatArray, Long> {
        val fixed = ParamLoader().use { it.load(p.fixed, sources).bytesWritten }
        StreamingExecutor(ggml, p).use { executor ->
            val latent = session(device, request, mapOf("unet" to executor)) { s ->
                pipeline.denoise(request, MapWeights(p.tensors()), conditioning, s, progress, cancel)
            }
            lastStreamedBytes = executor.uploadedBytes
            return latent to fixed + executor.uploadedBytes
        }
    }

    /** The host's pinned copy of the streamed blocks, kept while streamed generations stream the same blocks. */
    private var hostMaster: Pair<String, HostBufferMaster>? = null

    /** Times a host master copy was loaded from the model file (for tests). */
    internal var hostMasterLoads = 0
        private set

    private fun hostMaster(device: Device, host: BufferType, specs: List<ParamSpec>,
                           sources: Map<String, TensorRef>): HostBufferMaster {
        val key = device.name() + " " + specs.joinToString(",") { it.name }
        hostMaster?.let { (k, m) -> if (k == key) return m }
        freeHostMaster()
        return HostBufferMaster.load(ggml, ledger, host, specs, sources, ComponentKind.DIFFUSION_MODEL.label)
            .also { hostMaster = key to it; hostMasterLoads++ }
    }

    private fun freeHostMaster() {
        hostMaster?.second?.close()
        hostMaster = null
    }

    /** One phase's graphs on a fresh backend; the backend is freed before the graphs' compute buffers (see GraphSession). */
    private fun <T> session(device: Device, request: GenerationRequest, executors: Map<String, GraphExecutor> = emptyMap(),
                            work: (GraphSession) -> T): T {
        val session = GraphSession(ggml, device.bufferType(), ComputeBackends.open(device, request.threads().orElse(null)), ledger, executors)
        return session.use { s ->
            work(s).also { ledger.state(device.bufferType().name()).holdings.filter { it.owner.startsWith("compute: ") }
                .forEach { lastComputeBytes[it.owner.removePrefix("compute: ")] = it.bytes } }
        }
    }

    private fun weights(kind: ComponentKind): Weights = resident.getValue(kind).let { b -> MapWeights(b.names.associateWith { b.tensor(it) }) }

    /** The named device, or the first accelerator that is not a software rasteriser, or the CPU. */
    private fun chooseDevice(request: GenerationRequest): Device {
        val devices = ggml.devices()
        request.device().ifPresent { name ->
            if (devices.none { it.name() == name }) {
                throw InvalidRequestException("no device '$name'; available: ${devices.joinToString { it.name() }} (see sdj devices)")
            }
        }
        return request.device().map { name -> devices.first { it.name() == name } }.orElseGet {
            devices.firstOrNull { it.backendName() == "CUDA" }
                ?: devices.firstOrNull { it.backendName() == "Vulkan" && !it.description().startsWith("llvmpipe") }
                ?: ggml.cpu()
        }
    }

    /** Loads the components not yet resident, each on its device; returns the bytes uploaded. */
    private fun ensure(deviceOf: Map<ComponentKind, Device>, vararg kinds: ComponentKind): Long {
        var uploaded = 0L
        ParamLoader().use { loader ->
            for (kind in kinds) {
                if (kind in resident) continue
                val device = deviceOf.getValue(kind)
                val bf16 = UploadType.bf16Supported(ggml, device)
                val c = model.components.getValue(kind)
                val buffer = try {
                    ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(c, bf16).specs, kind.label)
                } catch (e: GgmlException) {
                    throw EngineException("cannot allocate the ${kind.label} on ${device.name()}: ${e.message}", e)
                }
                resident[kind] = buffer
                residentOn[kind] = device.name()
                try {
                    uploaded += loader.load(buffer, c.tensors).bytesWritten
                } catch (e: Throwable) {
                    free(kind)
                    throw e
                }
            }
        }
        return uploaded
    }

    private fun free(vararg kinds: ComponentKind) = kinds.forEach {
        resident.remove(it)?.close()
        residentOn.remove(it)
    }

    private fun freeAll() = free(*resident.keys.toTypedArray())

    override fun close() {
        freeAll()
        freeHostMaster()
    }

    private companion object {
        val PIPELINE = listOf(ComponentKind.TEXT_ENCODER, ComponentKind.DIFFUSION_MODEL, ComponentKind.VAE)
    }
}
