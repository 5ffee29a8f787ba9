package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.PlacementReport
import dev.sdj.core.device.Devices
import dev.sdj.core.family.sd.SdFamily
import dev.sdj.core.family.sd.SdTextToImage
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.scheduler.Costs
import dev.sdj.core.scheduler.Planner
import dev.sdj.core.scheduler.SdCosts
import dev.sdj.core.scheduler.TuneCache
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import java.nio.file.Files

/** A request's device and placement, with the costs it was chosen on and the report that explains it. */
internal class Decision(val device: Device, val choice: Planner.Choice, val costs: Costs, val report: PlacementReport) {
    val placement: String get() = choice.placement
}

/**
 * Decides where a request runs, before anything loads: the device, then on it the placement `tune` stored for the
 * request's shape if it still fits, else the fastest that fits its budget (or the request's cap).
 */
internal class PlacementDecider(
    private val ggml: Ggml,
    private val model: AssembledModel,
    private val family: SdFamily,
    private val ledger: MemoryLedger,
    private val tuneCache: TuneCache,
    /** The type weights are quantized to while loading, or null (see [dev.sdj.core.memory.RequestedWeightType]). */
    private val requestedType: DType?,
    /** The UNet context's token count for a request's prompts, which the denoising phase's compute buffer grows with. */
    private val contextTokens: (GenerationRequest) -> Int,
) {
    private val costCache = HashMap<String, Costs>()
    private val deviceReport by lazy { Devices.report() }

    /**
     * The named device, else the first accelerator; on it the fastest placement that fits. An accelerator the engine
     * chose itself falls back to the CPU when nothing fits; a named device, or a forced placement, that does not fit
     * is an error naming the smallest budget that works.
     */
    fun decide(request: GenerationRequest): Decision {
        val device = chooseDevice(request)
        decideOn(device, request)?.let { return it }
        if (request.device().isPresent || device.type() == DeviceType.CPU) {
            val costs = costs(device, request)
            throw InvalidRequestException("the model does not fit ${device.name()}: it needs at least " +
                "${Planner.mib(costs.smallest)} (${Planner.smallestName(costs)}) and the budget is " +
                "${Planner.mib(budget(device, request).first)}" +
                (Planner.decodeHint(costs, costs.smallest)?.takeIf { device.type() != DeviceType.CPU }?.let { "; $it" } ?: "") +
                (flashAttentionLever(device, request, null, budget(device, request).first)?.let { "; $it" } ?: ""))
        }
        val cpu = ggml.cpu()
        return decideOn(cpu, request) ?: throw InvalidRequestException("the model fits neither ${device.name()} nor the CPU's memory")
    }

    /** The placement on [device], or null when none fits; throws when a forced placement does not fit. */
    fun decideOn(device: Device, request: GenerationRequest): Decision? {
        val costs = costs(device, request)
        val (budget, source) = budget(device, request)
        val chosen = tunedChoice(device, request, costs, budget) ?: Planner.choose(costs, budget, request.placement()) ?: return null
        val choice = flashAttentionLever(device, request, chosen, budget)?.let { chosen.copy(why = "${chosen.why}; $it") } ?: chosen
        val blocks = costs.streaming?.blocks ?: 0
        val resident = choice.residentBlocks ?: blocks
        val perStep = if (choice.residentBlocks == null) 0L else evaluationsPerStep(request) * costs.streaming!!.streamedBytes[resident]
        val perGeneration = when (choice.placement) {
            "resident" -> 0L
            "sequential" -> costs.uploads.values.sum()
            else -> costs.uploads.filterKeys { it != ComponentKind.DIFFUSION_MODEL }.values.sum() +
                (if (choice.keepsResidentPart) 0L else costs.streaming!!.fixedUploadBytes[resident]) + perStep * request.steps()
        }
        val peaks = Planner.ORDER.filter { it != "streamed" || costs.streaming != null }.associateWith { costs.peak(it) }
        val report = PlacementReport(device.name(), choice.placement, choice.peak, budget, source, choice.why, peaks,
            costs.params.mapKeys { it.key.label }, costs.compute, blocks, resident, perStep, perGeneration,
            phases(choice, if (device.type() == DeviceType.CPU) emptySet() else pinned(request), resident, blocks),
            if (choice.residentBlocks == null) emptyList() else costs.streaming!!.streamedNames(resident))
        return Decision(device, choice, costs, report)
    }

    /**
     * Without flash attention, whether it would let a faster placement than [choice] (null: none fits) fit: the naive
     * path's score matrices can be most of the UNet's compute buffer. Said when so, never chosen: flash attention
     * changes pixels (a little) and on the CPU it is slower.
     */
    private fun flashAttentionLever(device: Device, request: GenerationRequest, choice: Planner.Choice?, budget: Long): String? {
        if (request.diffusionFlashAttention() || request.placement() != "auto" || choice?.placement == Planner.ORDER.first()) return null
        val flash = request.toBuilder().diffusionFlashAttention(true).build()
        val flashCosts = costs(device, flash)
        val better = Planner.choose(flashCosts, budget, "auto") ?: return null
        val faster = choice == null || Planner.ORDER.indexOf(better.placement) < Planner.ORDER.indexOf(choice.placement) ||
            (better.placement == choice.placement && (better.residentBlocks ?: 0) > (choice.residentBlocks ?: 0))
        if (!faster) return null
        val naiveUnet = costs(device, request).compute.getValue("unet")
        val blocks = better.residentBlocks?.let { " with $it blocks resident" } ?: ""
        return "flash attention (--diffusion-fa) would cut the UNet's compute buffer from ${Planner.mib(naiveUnet)} to " +
            "${Planner.mib(flashCosts.compute.getValue("unet"))} and let ${better.placement}$blocks fit"
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
    fun tuneKey(device: Device, request: GenerationRequest): String {
        val files = model.inputs.joinToString(",") { input ->
            val p = input.source.toAbsolutePath().normalize()
            if (Files.isRegularFile(p)) "$p:${Files.size(p)}:${Files.getLastModifiedTime(p).toMillis()}" else p.toString()
        }
        val cap = request.maxDeviceMemory().let { if (it.isPresent) it.asLong.toString() else "device budget" }
        return "${device.name()} (${device.description()}) | $files | ${request.width()}x${request.height()} | " +
            "${evaluationsPerStep(request)} evaluations/step | cpu ${request.cpuComponents().sorted()} | cap $cap | " +
            "vae tile ${request.vaeTileSize()} | diffusion flash attention ${request.diffusionFlashAttention()}" +
                (requestedType?.let { " | weights ${it.ggml!!.ggmlName()}" } ?: "")
    }

    /** What is in memory in each phase under a placement, and where; mirrors what the engine loads and frees. */
    private fun phases(choice: Planner.Choice, pinned: Set<ComponentKind>, residentBlocks: Int, blocks: Int): Map<String, Map<String, String>> {
        val te = ComponentKind.TEXT_ENCODER
        val unet = ComponentKind.DIFFUSION_MODEL
        val vae = ComponentKind.VAE
        val present = when (choice.placement) {
            "resident" -> listOf(listOf(te, unet, vae), listOf(te, unet, vae), listOf(te, unet, vae))
            "sequential" -> listOf(listOf(te), listOf(unet, vae), listOf(unet, vae))
            else -> if (choice.keepsResidentPart) listOf(listOf(te, unet), listOf(unet), listOf(unet, vae)) else listOf(listOf(te), listOf(unet), listOf(vae))
        }
        return listOf("text encoding", "denoising", "decoding").zip(present).associate { (phase, kinds) ->
            phase to kinds.associate { kind ->
                kind.label to when {
                    kind in pinned -> "cpu"
                    kind == unet && choice.placement == "streamed" && phase == "denoising" -> "streamed ($residentBlocks of $blocks blocks resident)"
                    kind == unet && choice.placement == "streamed" -> "resident part ($residentBlocks of $blocks blocks)"
                    else -> "device"
                }
            }
        }
    }

    /** Model evaluations per denoising step: two with classifier-free guidance (prompt and negative prompt). */
    private fun evaluationsPerStep(request: GenerationRequest): Int = if (request.cfgScale() != 1.0) 2 else 1

    /** What stays on [device]: everything measured there, less the components pinned to the CPU. */
    private fun costs(device: Device, request: GenerationRequest): Costs {
        val tokens = contextTokens(request)
        return costCache.getOrPut("${device.name()} ${request.width()}x${request.height()} tile ${request.vaeTileSize()} " +
            "context $tokens flash ${request.diffusionFlashAttention()}") {
            SdCosts.measure(ggml, model, family, device, request.width(), request.height(), SdTextToImage.decodeTiling(request),
                tokens, DiffusionAttention.of(request, device), requestedType)
        }.let { if (device.type() == DeviceType.CPU) it else it.without(pinned(request)) }
    }

    fun pinned(request: GenerationRequest): Set<ComponentKind> = request.cpuComponents().map {
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
}
