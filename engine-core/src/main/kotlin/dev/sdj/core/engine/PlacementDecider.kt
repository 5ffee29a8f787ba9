package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.PlacementReport
import dev.sdj.core.device.AutoDevice
import dev.sdj.core.device.Devices
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.pipeline.GenerationPipeline
import dev.sdj.core.pipeline.GuidanceBatch
import dev.sdj.core.scheduler.Costs
import dev.sdj.core.scheduler.PipelineCosts
import dev.sdj.core.scheduler.Planner
import dev.sdj.core.scheduler.Residency
import dev.sdj.core.scheduler.Stream
import dev.sdj.core.scheduler.TuneCache
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import java.nio.file.Files

/** Where each component of a request runs: on the chosen device, or on the CPU when the request pins it there. */
internal class Where(val device: Device, private val pinned: Set<ComponentKind>, private val cpu: Device) {
    fun of(kind: ComponentKind): Device = if (kind in pinned && device.type() != DeviceType.CPU) cpu else device
}

/**
 * A request's device and placement, with the costs it was chosen on, the residency the engine applies phase by
 * phase, and the report that explains it; [request] is what the phases run: the caller's, or it with the VAE tiling
 * the planner chose.
 */
internal class Decision(val where: Where, val choice: Planner.Choice, val costs: Costs, val residency: Residency,
                        val report: PlacementReport, val request: GenerationRequest) {
    val device: Device get() = where.device
    val placement: String get() = choice.placement

    /** For a streamed placement, per streamed component the blocks that stay resident; else empty. */
    val residentSets: Map<ComponentKind, Set<String>> get() = residentSets(choice, costs)

    companion object {
        fun residentSets(choice: Planner.Choice, costs: Costs): Map<ComponentKind, Set<String>> = choice.residentBlocks?.let { k ->
            costs.streams.withIndex().associate { (j, s) -> s.component to s.costs.residentSets[k[j]] }
        } ?: emptyMap()
    }
}

/** What the engine holds now, which a plan's forecast of uploads and residency starts from. */
internal interface EngineState {
    /** The components on [device]; a streamed component counts when its resident part for [streamedResident] is there. */
    fun loaded(device: Device, streamedResident: Map<ComponentKind, Set<String>>): Set<ComponentKind>

    /** The phases whose results a generation of [request] would reuse. */
    fun reused(request: GenerationRequest, deviceOf: (ComponentKind) -> Device): Set<Int>

    /** The phases a batch's later images reuse: those with a reuse key for [request] (no key holds a seed). */
    fun reusedByLaterImages(request: GenerationRequest): Set<Int>

    /**
     * What taking the current request's LoRAs uploads for [kind], one of those [loaded] counts (a streamed one's
     * resident part for [streamedResident]): the tensors a change of merged LoRAs loads again, the adapters of the
     * low-rank LoRA files it adds; 0 when the set is the same.
     */
    fun switchUploads(kind: ComponentKind, device: Device, streamedResident: Map<ComponentKind, Set<String>>): Long
}

/**
 * Decides where a request runs, before anything loads: the device, then on it the placement `tune` stored for the
 * request's shape if it still fits, else the fastest that fits its budget (or the request's cap).
 */
internal class PlacementDecider(
    private val ggml: Ggml,
    /** The model as the current request's LoRAs adapt it (their low-rank adapters among its components' tensors). */
    private val model: () -> AssembledModel,
    private val pipeline: GenerationPipeline,
    private val ledger: MemoryLedger,
    private val tuneCache: TuneCache,
    /** The type weights are quantized to while loading, or null (see [dev.sdj.core.memory.RequestedWeightType]). */
    private val requestedType: DType?,
    private val state: EngineState,
    /** Whether the CPU serves the weights it reads as stored from the mapped model files (see [ResidentComponents]). */
    private val mapOnCpu: Boolean,
    /** Which way each of the current request's LoRA files applies, and why, by file name. */
    private val loraPaths: () -> Map<String, String>,
    /** The tensors the current request's LoRAs change, by component: the CPU copies them rather than mapping them. */
    private val patched: () -> Map<ComponentKind, Set<String>> = { emptyMap() },
) {
    private val costCache = HashMap<String, Costs>()
    private val deviceReport by lazy { Devices.report() }

    /** The phases that run the VAE, whose convolutions take the im2col or the direct path ([PhaseConvolution]). */
    private val vaePhases = pipeline.phases.indices.filter { ComponentKind.VAE in pipeline.phases[it].components }

    /**
     * The named device, else the first accelerator; on it the fastest placement that fits. An accelerator the engine
     * chose itself falls back to the CPU when nothing fits; a named device, or a forced placement, that does not fit
     * is an error naming the smallest budget that works.
     */
    fun decide(request: GenerationRequest): Decision {
        val auto = if (request.device().isPresent) null else AutoDevice.choose(deviceReport.devices())
        val device = chooseDevice(request, auto)
        decideOn(device, request, auto?.why)?.let { return it }
        if (request.device().isPresent || device.type() == DeviceType.CPU) {
            val tiled = plannerTiled(request)
            val asked = tiled ?: request
            val costs = costs(device, asked)
            // The phases' own hints name --on-cpu, which the CPU cannot take; tiling is a lever of its own below.
            throw InvalidRequestException("the model does not fit ${device.name()}: it needs at least " +
                "${Planner.mib(costs.smallest)} (${Planner.smallestName(costs)}" +
                (tiled?.let { ", decoding in tiles of ${it.vaeTileSize()} pixels" } ?: "") + ") and the budget is " +
                "${Planner.mib(budget(device, request).first)}" +
                (Planner.smallestHint(costs)?.takeIf { device.type() != DeviceType.CPU }?.let { "; $it" } ?: "") +
                levers(device, asked, null, budget(device, request).first).joinToString("") { "; $it" })
        }
        val cpu = ggml.cpu()
        return decideOn(cpu, request) ?: throw InvalidRequestException("the model fits neither ${device.name()} nor the CPU's memory")
    }

    /**
     * The placement on [device], or null when none fits; throws when a forced placement does not fit. When the whole
     * decode fits nowhere and the pipeline lets the planner tile ([GenerationPipeline.plannerVaeTile]), the placement
     * of the request decoding in its tiles, the reason saying so.
     * @param deviceWhy why the engine chose [device] itself, said first in the report's reason
     */
    fun decideOn(device: Device, request: GenerationRequest, deviceWhy: String? = null): Decision? {
        val tiled = plannerTiled(request) ?: return decideAsRequested(device, request, deviceWhy)
        // Measured first, so that a request the pipeline refuses (a prompt, a component) is refused as it is, not retried.
        costs(device, request)
        fun decideTiled(): Decision? = try {
            decideAsRequested(device, tiled, listOfNotNull(deviceWhy, tilingWhy(device, request, tiled)).joinToString("; "), request)
        } catch (e: InvalidRequestException) {
            throw InvalidRequestException("${e.message} (decoding in tiles of ${tiled.vaeTileSize()} pixels, as the planner does " +
                "when the whole decode fits no placement)")
        }
        val whole = try {
            decideAsRequested(device, request, deviceWhy)
        } catch (e: InvalidRequestException) {
            return decideTiled() ?: throw e     // a forced placement that does not fit the whole decode
        }
        return whole ?: decideTiled()
    }

    /** [request] decoding in the pipeline's planner tiles, when the pipeline has them and the request does not tile itself. */
    private fun plannerTiled(request: GenerationRequest): GenerationRequest? =
        pipeline.plannerVaeTile?.takeIf { request.vaeTileSize() == 0 }?.let { request.toBuilder().vaeTileSize(it).build() }

    private fun tilingWhy(device: Device, whole: GenerationRequest, tiled: GenerationRequest): String {
        val costs = costs(device, whole)
        val forced = whole.placement().takeIf { it != "auto" }
        val needs = if (forced != null) "the $forced placement needs ${Planner.mib(costs.peak(forced))}"
            else "the smallest placement needs ${Planner.mib(costs.smallest)} (${Planner.smallestName(costs)})"
        return "decoding whole, $needs, more than the budget, so the planner decodes in tiles of ${tiled.vaeTileSize()} pixels " +
            "(tiling changes pixels; --vae-tile chooses the size)"
    }

    /**
     * @param asked the caller's request, whose `tune` result applies (the planner's tiles are not the user's)
     * @return the decision for [request] with its cfg batch resolved: an "auto" one the planner may batch is decided
     *   both ways ([decideGuidanceBatch]); any other keeps what it asked
     */
    private fun decideAsRequested(device: Device, request: GenerationRequest, deviceWhy: String?, asked: GenerationRequest = request): Decision? {
        if (request.cfgBatch() == GuidanceBatch.AUTO && GuidanceBatch.applies(pipeline, request)) {
            return decideGuidanceBatch(device, request, deviceWhy, asked)
        }
        return decideResolved(device, request, deviceWhy, asked)
    }

    /**
     * An "auto" cfg batch: what `tune` measured faster for this shape when it stored a choice and that still fits, else
     * two evaluations per step. Batching changes pixels by rounding (ggml sums a batch of two in another order), so it is
     * the user's or tune's choice, never the placement's: every placement of an untuned request gives the same image. Where
     * the placement streams and batching would upload fewer bytes per step, the reason names `--cfg-batch on` as the lever.
     */
    private fun decideGuidanceBatch(device: Device, request: GenerationRequest, deviceWhy: String?, asked: GenerationRequest): Decision? {
        fun resolved(batch: String) = request.toBuilder().cfgBatch(batch).build()
        fun attempt(batch: String, why: String? = null): Decision? = try {
            decideResolved(device, resolved(batch), deviceWhy, asked, why)
        } catch (e: InvalidRequestException) {
            null
        }
        tuneCache.get(tuneKey(device, asked))?.cfgBatch?.let { tuned ->
            attempt(tuned, "guidance ${batchWords(tuned)}, which tune measured faster")?.let { return it }
        }
        val single = decideResolved(device, resolved(GuidanceBatch.OFF), deviceWhy, asked) ?: return null
        if (single.placement != "streamed") return single
        val batched = attempt(GuidanceBatch.ON)
        if (batched == null || batched.placement != "streamed" || batched.report.uploadBytesPerStep() >= single.report.uploadBytesPerStep()) return single
        return decideResolved(device, resolved(GuidanceBatch.OFF), deviceWhy, asked,
            "guidance in two evaluations per step (--cfg-batch on would upload ${Planner.mib(batched.report.uploadBytesPerStep())} per step " +
                "instead of ${Planner.mib(single.report.uploadBytesPerStep())}; pixels change by rounding)")
    }

    private fun batchWords(batch: String) = if (batch == GuidanceBatch.ON) "batched" else "in two evaluations per step"

    /** @param batchWhy why the planner chose the request's cfg batch, when it did */
    private fun decideResolved(device: Device, request: GenerationRequest, deviceWhy: String?, asked: GenerationRequest,
                               batchWhy: String? = null): Decision? {
        val costs = costs(device, request)
        val (budget, source) = budget(device, request)
        val chosen = tunedChoice(device, asked, costs, budget) ?: Planner.choose(costs, budget, request.placement()) ?: return null
        val choice = chosen.copy(why = (listOfNotNull(deviceWhy, chosen.why, batchWhy) + levers(device, request, chosen, budget)).joinToString("; "))
        val residency = costs.residency(choice.placement, choice.residentBlocks)
        val where = Where(device, pinned(request), ggml.cpu())
        val reused = state.reused(request, where::of)
        val residentSets = Decision.residentSets(choice, costs)
        val start = state.loaded(device, residentSets)
        val steps = residency.walk(start, reused)
        // What the last generation left on the device takes this request's LoRAs where it is, when a phase first needs it.
        val switched = start.filter { kind ->
            val first = steps.indices.firstOrNull { steps[it] != null && kind in residency.needs[it] }
            first != null && kind !in steps[first]!!.loads
        }
        val switchUploads = switched.sumOf { state.switchUploads(it, device, residentSets) }
        val k = choice.residentBlocks
        fun streamOf(kind: ComponentKind): Int? = if (k == null) null else costs.streams.indexOfFirst { it.component == kind }.takeIf { it >= 0 }
        fun uploads(steps: List<Residency.Step?>): Long {
            val loads = steps.filterNotNull().sumOf { step ->
                step.loads.sumOf { kind -> streamOf(kind)?.let { j -> costs.streams[j].costs.fixedUploadBytes[k!![j]] } ?: costs.uploads[kind] ?: 0L }
            }
            // Streams upload their streamed blocks on every pass of their phase's graph; a reused phase does not run.
            val streamed = if (k == null) 0L else costs.streams.withIndex().sumOf { (j, s) ->
                if (steps[s.phase] == null) 0L else passes(s, request) * s.costs.streamedBytes[k[j]]
            }
            return loads + streamed
        }
        // A batch's later images reuse every phase with a reuse key (they hold no seed: the prompt's encoding), each
        // starting from what the image before it left on the device.
        val reusedInBatch = reused + state.reusedByLaterImages(request)
        var batchUploads = uploads(steps) + switchUploads
        var on = steps.lastOrNull { it != null }?.present ?: start
        repeat(request.batchCount() - 1) {
            val later = residency.walk(on, reusedInBatch)
            batchUploads += uploads(later)
            on = later.lastOrNull { it != null }?.present ?: on
        }
        // The report's block figures are the diffusion model's, else the first stream's; the phases name every stream's.
        val main = costs.denoiserStream ?: costs.streams.firstOrNull()
        val mainIndex = costs.streams.indexOf(main)
        val blocks = main?.costs?.blocks ?: 0
        val resident = k?.getOrNull(mainIndex) ?: blocks
        val perStep = if (k == null || main == null || main.phase != costs.denoiserPhase) 0L else evaluationsPerStep(request) * main.costs.streamedBytes[resident]
        val peaks = Planner.ORDER.filter { it != "streamed" || costs.streams.isNotEmpty() }.associateWith { costs.peak(it) }
        val report = PlacementReport(device.name(), choice.placement, choice.peak, budget, source, choice.why, peaks,
            costs.params.mapKeys { it.key.label }, costs.compute, blocks, resident, perStep, uploads(steps) + switchUploads,
            phases(request, steps, where, costs, k), if (k == null || main == null) emptyList() else main.costs.streamedNames(resident),
            costs.mapped.filterKeys { streamOf(it) == null }.mapKeys { it.key.label },
            pipeline.phases.withIndex().filter { it.value.runsFor(request) }.associate { (i, phase) -> phase.label to residency.own(i) },
            request.vaeTileSize(), loraPaths(), batchUploads, vaeConvolution(request), vaeConvolutionWhy(device, request))
        return Decision(where, choice, costs, residency, report, request)
    }

    /** The VAE's convolution path for the report, or "" when no phase of [request] runs the VAE. */
    private fun vaeConvolution(request: GenerationRequest): String = when {
        vaePhases.none { pipeline.phases[it].runsFor(request) } -> ""
        PhaseConvolution.direct(request) -> "direct"
        else -> "im2col"
    }

    /**
     * Why the VAE's convolutions take their path: as asked, or im2col by default, with what direct would save. Never
     * the planner's choice by budget: direct changes pixels by rounding (see [PhaseConvolution]).
     */
    private fun vaeConvolutionWhy(device: Device, request: GenerationRequest): String {
        if (vaeConvolution(request).isEmpty()) return ""
        if (request.vaeConvDirect().isPresent) {
            return "as the request asks (${if (PhaseConvolution.direct(request)) "--vae-conv-direct" else "--no-vae-conv-direct"})"
        }
        val im2col = vaeBuffer(device, request)
        val direct = vaeBuffer(device, request.toBuilder().vaeConvDirect(true).build())
        val saving = if (direct < im2col) "--vae-conv-direct would cut the VAE's compute buffer from ${Planner.mib(im2col)} to " +
            "${Planner.mib(direct)}, changing pixels by rounding" else "direct convolution would not shrink the VAE's compute buffer"
        return "the default, so that the image never depends on the budget; $saving"
    }

    /** The VAE's largest compute buffer for [request] on [device], over the phases that run it. */
    private fun vaeBuffer(device: Device, request: GenerationRequest): Long =
        costs(device, request).phases.let { p -> vaePhases.maxOf { p[it].compute } }

    /**
     * What the user could change for a faster placement than [choice] (null: none fits) to fit: flash attention,
     * direct convolution in the VAE, quantizing while loading, or tiled decoding. Said when so, never applied: all
     * change pixels (a little).
     */
    private fun levers(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): List<String> =
        if (request.placement() != "auto" || choice?.placement == Planner.ORDER.first()) emptyList()
        else listOfNotNull(flashAttentionLever(device, request, choice, budget), vaeConvolutionLever(device, request, choice, budget),
            typeLever(device, request, choice, budget), tileLever(device, request, choice, budget))

    /** Whether [better] beats [choice]: an earlier placement, or more blocks resident; anything beats nothing. */
    private fun faster(better: Planner.Choice, choice: Planner.Choice?): Boolean =
        choice == null || Planner.ORDER.indexOf(better.placement) < Planner.ORDER.indexOf(choice.placement) ||
            (better.placement == choice.placement && (better.residentBlocks?.sum() ?: 0) > (choice.residentBlocks?.sum() ?: 0))

    private fun blocks(choice: Planner.Choice) = choice.residentBlocks?.let { " with ${it.joinToString(" + ")} blocks resident" } ?: ""

    /**
     * The naive path's score matrices can be most of the diffusion model's compute buffer; on the CPU flash attention
     * is slower, so it stays the user's choice.
     */
    private fun flashAttentionLever(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): String? {
        if (request.diffusionFlashAttention()) return null
        val flashCosts = costs(device, request.toBuilder().diffusionFlashAttention(true).build())
        val better = Planner.choose(flashCosts, budget, "auto")?.takeIf { faster(it, choice) } ?: return null
        val naive = costs(device, request).phases.getOrNull(pipeline.denoiserPhase)?.compute ?: return null
        return "flash attention (--diffusion-fa) would cut the diffusion model's compute buffer from ${Planner.mib(naive)} to " +
            "${Planner.mib(flashCosts.phases[pipeline.denoiserPhase].compute)} and let ${better.placement}${blocks(better)} fit"
    }

    /**
     * The VAE's im2col patches can set the decoding phase's peak; direct convolution changes pixels by rounding, so it
     * stays the user's choice.
     */
    private fun vaeConvolutionLever(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): String? {
        if (PhaseConvolution.direct(request) || vaePhases.isEmpty()) return null
        val direct = request.toBuilder().vaeConvDirect(true).build()
        val better = Planner.choose(costs(device, direct), budget, "auto")?.takeIf { faster(it, choice) } ?: return null
        return "direct VAE convolution (--vae-conv-direct) would cut the VAE's compute buffer from " +
            "${Planner.mib(vaeBuffer(device, request))} to ${Planner.mib(vaeBuffer(device, direct))} and let ${better.placement}${blocks(better)} fit " +
            "(pixels change by rounding)"
    }

    /** Weights stored in f16/f32 take about half (q8_0) the device memory when quantized while loading, as sd.cpp's --type does. */
    private fun typeLever(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): String? {
        if (requestedType != null) return null
        val quantized = costs(device, request, LEVER_TYPE)
        val better = Planner.choose(quantized, budget, "auto")?.takeIf { faster(it, choice) } ?: return null
        return "loading with --type ${LEVER_TYPE.ggml!!.ggmlName()} would let ${better.placement}${blocks(better)} fit " +
            "(peak ${Planner.mib(better.peak)}; quantized weights change pixels a little)"
    }

    /**
     * Tiled decoding, for a request that decodes whole: named when nothing fits (an image family's whole decode at
     * 512 pixels and up can outweigh its UNet), and for a pipeline the planner tiles also when it would be faster (its
     * own tiles are applied only when nothing fits whole). Measures the tiled request's costs, so only then, and only
     * when a phase after the diffusion model's (the decode) sets the peak of a placement at least as fast as [choice].
     */
    private fun tileLever(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): String? {
        if (request.vaeTileSize() > 0 || choice != null && pipeline.plannerVaeTile == null) return null
        val costs = costs(device, request)
        val candidates = Planner.ORDER.filter { it != "streamed" || costs.streams.isNotEmpty() }
            .take(choice?.let { Planner.ORDER.indexOf(it.placement) + 1 } ?: Planner.ORDER.size)
        if (candidates.none { p -> costs.peakSetter(costs.residency(p))?.let { costs.phases.indexOf(it) > costs.denoiserPhase } == true }) return null
        val size = pipeline.plannerVaeTile ?: LEVER_TILE
        val better = Planner.choose(costs(device, request.toBuilder().vaeTileSize(size).build()), budget, "auto")
            ?.takeIf { faster(it, choice) } ?: return null
        return "decoding in tiles (--vae-tile $size) would let ${better.placement}${blocks(better)} fit " +
            "(peak ${Planner.mib(better.peak)}; tiling changes pixels)"
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

    /**
     * What a tuned choice applies to: the device, the model files as they are now, and the request's shape and cap;
     * readable parts joined by " | ", so that `tune` can show what it stored.
     */
    fun tuneKey(device: Device, request: GenerationRequest): String {
        val files = model().inputs.joinToString(",") { input ->
            val p = input.source.toAbsolutePath().normalize()
            if (Files.isRegularFile(p)) "$p (${Files.size(p)} bytes, modified ${Files.getLastModifiedTime(p)})" else p.toString()
        }
        val cap = request.maxDeviceMemory().let { if (it.isPresent) it.asLong.toString() else "device budget" }
        return "${device.name()} (${device.description()}) | $files | ${request.width()}x${request.height()} | " +
            "${evaluationsPerStep(request)} evaluations/step | cpu ${request.cpuComponents().sorted()} | cap $cap | " +
            "vae tile ${request.vaeTileSize()} | diffusion flash attention ${request.diffusionFlashAttention()} | " +
            "vae conv direct ${PhaseConvolution.direct(request)}" +
                (requestedType?.let { " | weights ${it.ggml!!.ggmlName()}" } ?: "")
    }

    /**
     * What is in memory in each phase of the coming generation, and where: the walk the engine will make, the
     * components pinned to the CPU beside it; a reused phase loads nothing, and one the request skips is not shown.
     */
    private fun phases(request: GenerationRequest, steps: List<Residency.Step?>, where: Where, costs: Costs, k: List<Int>?): Map<String, Map<String, String>> =
        pipeline.phases.withIndex().filter { it.value.runsFor(request) }.associate { (i, phase) ->
            val step = steps[i]
            val onCpu = phase.components.filter { where.of(it) != where.device }
            phase.label to if (step == null) {
                phase.components.associate { it.label to "not needed (result reused)" }
            } else {
                val present = pipeline.components.filter { it in step.present } + onCpu
                present.associate { kind ->
                    val j = if (k == null) -1 else costs.streams.indexOfFirst { it.component == kind }
                    val blocks = if (j < 0) 0 else costs.streams[j].costs.blocks
                    kind.label to when {
                        kind in onCpu -> "cpu"
                        j >= 0 && kind in phase.components -> "streamed (${k!![j]} of $blocks blocks resident)"
                        j >= 0 -> "resident part (${k!![j]} of $blocks blocks)"
                        else -> "device"
                    }
                }
            }
        }

    /** Runs of a stream's graph in one generation: its phase's own count, or the denoiser's steps × evaluations per step. */
    private fun passes(stream: Stream, request: GenerationRequest): Int =
        pipeline.streamables.first { it.component == stream.component }.passes?.invoke(request) ?: (request.steps() * evaluationsPerStep(request))

    /** Model evaluations per denoising step: two with classifier-free guidance (prompt and negative prompt), one when batched. */
    private fun evaluationsPerStep(request: GenerationRequest): Int = (if (request.cfgScale() != 1.0) 2 else 1) / promptsPerEvaluation(request)

    /** Prompts per evaluation of the diffusion model: what the request asks where the family batches guidance, else one. */
    private fun promptsPerEvaluation(request: GenerationRequest): Int = if (pipeline.batchesGuidance) GuidanceBatch.of(request) else 1

    /** What stays on [device] with weights loaded as [type]: everything measured there, less the components pinned to the CPU. */
    private fun costs(device: Device, request: GenerationRequest, type: DType? = requestedType): Costs {
        // Checked on every device (an unknown name is refused everywhere); on the CPU pinning changes nothing.
        val pinned = pinned(request).takeIf { device.type() != DeviceType.CPU } ?: emptySet()
        // Mapped weights a LoRA changes are copied instead; without a host buffer, streamed ones are copied patched into the device's memory.
        val patched = if ((mapOnCpu && device.type() == DeviceType.CPU) || !device.hostBufferType().isPresent) patched() else emptyMap()
        val patchKey = patched.entries.sortedBy { it.key }.joinToString { (k, names) -> "${k.id} ${names.sorted().hashCode()}" }
        val adapted = model()
        val adapterKey = adapted.components.entries.filter { it.value.adapters.isNotEmpty() }
            .joinToString { (k, c) -> "${k.id} ${c.adapterTensors.sorted().hashCode()}" }
        return costCache.getOrPut("${device.name()} ${pipeline.shapeKey(request)} guidance batch ${promptsPerEvaluation(request)} flash ${request.diffusionFlashAttention()} " +
            "vae conv direct ${PhaseConvolution.direct(request)} type $type cpu ${pinned.sorted()} lora $patchKey low-rank $adapterKey") {
            PipelineCosts.measure(ggml, adapted, pipeline, device, request, DiffusionAttention.of(request, device), type, pinned, mapOnCpu,
                patched) { phase -> PhaseConvolution.of(phase, request, device) }
        }.without(pinned)
    }

    /**
     * The components the request pins to the CPU, by the names the pipeline's components go by ("text_encoders": all
     * of its text encoders); the streamed diffusion model stays with the device the request runs on.
     */
    fun pinned(request: GenerationRequest): Set<ComponentKind> {
        val declared = pipeline.components
        return request.cpuComponents().flatMap { name ->
            val kinds = if (name == ALL_TEXT_ENCODERS) declared.filter { it.isTextEncoder }
            else listOfNotNull(declared.firstOrNull { it.id == name })
            if (kinds.isEmpty()) {
                throw InvalidRequestException("this model has no component '$name' to run on the CPU; it has " +
                    declared.joinToString { it.id } + " ($ALL_TEXT_ENCODERS: every text encoder)")
            }
            val denoiser = pipeline.streamables.firstOrNull { it.phase == pipeline.denoiserPhase }?.component
            if (denoiser in kinds) {
                throw InvalidRequestException("the ${denoiser!!.label} runs where the generation runs: for the CPU, choose --device CPU")
            }
            kinds
        }.toSet()
    }

    /** The budget and where it came from; memory this engine already holds there counts as available to it. */
    private fun budget(device: Device, request: GenerationRequest): Pair<Long, String> {
        request.maxDeviceMemory().let { if (it.isPresent) return it.asLong to "requested cap" }
        val info = deviceReport.devices().firstOrNull { it.name() == device.name() }
            ?: return device.memory().free() to "ggml free memory"
        val held = ledger.currentBytes(device.bufferType().name())
        return info.budget().bytes() + held to info.budget().source()
    }

    /** The named device, else [auto]'s GPU, else the CPU. */
    private fun chooseDevice(request: GenerationRequest, auto: AutoDevice.Choice?): Device {
        val devices = ggml.devices()
        val name = request.device().orElse(auto?.device) ?: return ggml.cpu()
        return devices.firstOrNull { it.name() == name }
            ?: throw InvalidRequestException("no device '$name'; available: ${devices.joinToString { it.name() }} (see sdj devices)")
    }

    private companion object {
        const val ALL_TEXT_ENCODERS = "text_encoders"

        /** The type `plan` names as a lever: sd.cpp's usual conversion, close to f16 in pixels (≥ 50 dB on the tiny model). */
        val LEVER_TYPE: DType = DType.Q8_0

        /** The tile `plan` names as a lever: sd.cpp's `--vae-tiling` size. */
        const val LEVER_TILE = 256
    }
}
