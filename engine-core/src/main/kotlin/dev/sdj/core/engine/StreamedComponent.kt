package dev.sdj.core.engine

import dev.sdj.api.EngineException
import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.BlockMaster
import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.FileMaster
import dev.sdj.core.memory.HostBufferMaster
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.PatchedMaster
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.StreamedParams
import dev.sdj.core.memory.WeightPatch
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorRef
import dev.sdj.core.pipeline.Streamable
import dev.sdj.core.scheduler.StreamingExecutor
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException

/**
 * A streamable component's phase run with it streamed: its core and resident blocks loaded, the other blocks
 * passing through stream slots from the host's master copy while its graph runs; the slots are freed afterwards.
 * The resident part stays on the device until the engine frees it (when the plan needs the room), and the pinned
 * host copy while later generations stream the same blocks. A [WeightPatch] (LoRA) changes the resident part as it
 * is loaded, and the streamed blocks' patched tensors are uploaded from patched copies kept in host memory beside the
 * master copy, which stays as the file holds it: changing the patch reloads only the tensors either patch changes.
 * Where the device has no host buffer (the CPU), those copies are in the device's own memory and are freed with the
 * slots, so they count only while the phase runs (and are patched again by the next generation).
 */
internal class StreamedComponent(
    private val ggml: Ggml,
    private val ledger: MemoryLedger,
    private val model: () -> AssembledModel,
    private val streamable: Streamable,
    private val sessions: PhaseSessions,
    private val requestedType: DType?,
) : AutoCloseable {
    private val owner = streamable.component.label
    private var hostMaster: Pair<String, HostBufferMaster>? = null
    private var residentPart: Pair<String, ParamBuffer>? = null
    private var residentPatch: WeightPatch? = null
    private var patchedCopies: Pair<String, ParamBuffer>? = null

    /** Times a host master copy was loaded from the model file. */
    var hostMasterLoads = 0
        private set

    /** Bytes the last call streamed into the slots. */
    var lastStreamedBytes = 0L
        private set

    /** How long the last call's computation waited for uploads. */
    var lastWaitNanos = 0L
        private set

    /**
     * Runs [work] over the component's weights, streamed.
     *
     * @param resident the blocks that stay on the device; [slots] stream slots hold the others in turn
     * @param attention how the phase's graphs compute attention
     * @param patch what changes the component's weights as they reach the device; null: nothing
     * @return the work's result and the parameter bytes uploaded to the device
     */
    fun <T> run(request: GenerationRequest, device: Device, resident: Set<String>, slots: Int, attention: Attention,
                patch: WeightPatch?, work: (Weights, GraphSession) -> T): Pair<T, Long> {
        val component = model().components.getValue(streamable.component)
        val structure = streamable.blocks(ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device), requested = requestedType).usable(device.name()))
        val streamedSpecs = structure.blocks.filter { it.name !in resident }.flatMap { it.specs }
        val adapters = component.adapterTensors
        val host = device.hostBufferType()
        val fileMaster = if (host.isPresent) null else FileMaster(component.tensors)
        try {
            val unpatched: BlockMaster = fileMaster ?: hostMaster(device, host.get(), streamedSpecs.filter { it.name !in adapters }, component.tensors)
            val copies = patchedCopies(device, if (host.isPresent) host.get() else device.bufferType(),
                streamedSpecs.filter { (patch != null && it.name in patch.names) || it.name in adapters }, component.tensors, patch)
            val master = copies?.let { PatchedMaster(unpatched, it) } ?: unpatched
            val (fixed, fixedUploaded) = residentPart(device, structure, resident, component.tensors, patch, adapters)
            val params = try {
                StreamedParams.allocate(ggml, ledger, device.bufferType(), structure, resident, fixed, slots, owner, master)
            } catch (e: GgmlException) {
                throw EngineException("cannot allocate the $owner's stream slots on ${device.name()}: ${e.message}", e)
            }
            params.use { p ->
                StreamingExecutor(ggml, p).use { executor ->
                    val result = sessions.run(device, request, mapOf(streamable.graph to executor), attention) { s ->
                        work(MapWeights(p.tensors(), component.adapters), s)
                    }
                    lastStreamedBytes = executor.uploadedBytes
                    lastWaitNanos = executor.waitNanos
                    return result to fixedUploaded + executor.uploadedBytes
                }
            }
        } finally {
            fileMaster?.close()
            // Without a host buffer the copies sit in the device's own memory: held only while the phase runs, as planned.
            if (!host.isPresent) releasePatchedCopies()
        }
    }

    /** Whether the resident part for [resident] on [device] is on the device now. */
    fun holds(device: Device, resident: Set<String>): Boolean = residentPart?.first == key(device, resident, adapterNames())

    /**
     * The resident part for [resident] on [device] with [adapters] (the component's low-rank LoRA tensors): the kept
     * one when it matches, else freshly loaded; and the bytes uploaded.
     */
    private fun residentPart(device: Device, structure: BlockStructure, resident: Set<String>,
                             sources: Map<String, TensorRef>, patch: WeightPatch?, adapters: Set<String>): Pair<ParamBuffer, Long> {
        val key = key(device, resident, adapters)
        residentPart?.let { (k, b) ->
            if (k == key) {
                if (residentPatch?.key == patch?.key) return b to 0L
                val changed = (residentPatch?.names.orEmpty() + patch?.names.orEmpty()).filter { it in b.names }
                val bytes = ParamLoader(patch = patch).use { loader -> changed.sumOf { loader.load(b.tensor(it), sources.getValue(it), it) } }
                residentPatch = patch
                return b to bytes
            }
        }
        releaseResidentPart()
        val loaded = try {
            ParamLoader(patch = patch).use {
                it.allocateAndLoad(ggml, ledger, device.bufferType(), StreamedParams.fixedSpecs(structure, resident), sources,
                    "$owner (resident part)")
            }
        } catch (e: GgmlException) {
            throw EngineException("cannot load the $owner's resident part on ${device.name()}: ${e.message}", e)
        }
        residentPart = key to loaded.first
        residentPatch = patch
        return loaded
    }

    private fun key(device: Device, resident: Set<String>, adapters: Set<String>) = device.name() + " " + resident.sorted() + " " + adapters.sorted()

    private fun adapterNames(): Set<String> = model().components.getValue(streamable.component).adapterTensors

    /** Frees the kept resident part unless it is the one for [resident] on [device]: nothing else may sit in a phase. */
    fun keepOnly(device: Device, resident: Set<String>) {
        if (residentPart?.first != key(device, resident, adapterNames())) releaseResidentPart()
    }

    /** Frees the component's resident part if it is kept. */
    fun releaseResidentPart() {
        residentPart?.second?.close()
        residentPart = null
        residentPatch = null
    }

    /**
     * The patched copies of [specs] (the streamed tensors [patch] changes, and the low-rank LoRA tensors) in [bufferType]: the kept ones when made
     * for the same tensors and patch, else freshly loaded (recorded in the ledger); null when there are none.
     */
    private fun patchedCopies(device: Device, bufferType: BufferType, specs: List<ParamSpec>, sources: Map<String, TensorRef>,
                              patch: WeightPatch?): ParamBuffer? {
        val key = device.name() + " " + specs.joinToString(",") { it.name } + "\n" + patch?.key
        patchedCopies?.let { (k, b) -> if (k == key) return b }
        releasePatchedCopies()
        if (specs.isEmpty()) return null
        val (copies, _) = ParamLoader(patch = patch).use { it.allocateAndLoad(ggml, ledger, bufferType, specs, sources, "$owner (LoRA-patched copy)") }
        patchedCopies = key to copies
        return copies
    }

    private fun releasePatchedCopies() {
        patchedCopies?.second?.close()
        patchedCopies = null
    }

    private fun hostMaster(device: Device, host: BufferType, specs: List<ParamSpec>, sources: Map<String, TensorRef>): HostBufferMaster {
        val key = device.name() + " " + specs.joinToString(",") { it.name }
        hostMaster?.let { (k, m) -> if (k == key) return m }
        hostMaster?.second?.close()
        hostMaster = null
        return HostBufferMaster.load(ggml, ledger, host, specs, sources, owner)
            .also { hostMaster = key to it; hostMasterLoads++ }
    }

    /** Frees the kept resident part and gives the pinned host copy back. */
    override fun close() {
        releaseResidentPart()
        releasePatchedCopies()
        hostMaster?.second?.close()
        hostMaster = null
    }
}
