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
import dev.sdj.core.memory.LoadUnits
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.PatchedMaster
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.StreamedParams
import dev.sdj.core.memory.WeightPatch
import dev.sdj.core.lora.Loras
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
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
 * Low-rank LoRA adapters travel with their blocks (streamed ones from copies beside the master copy); the resident
 * part's sit in a buffer per LoRA file beside its weights, so changing the set loads only the adapters it adds.
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
    /** The resident part's low-rank LoRA adapters (of its core and resident blocks), one buffer per LoRA file, by file. */
    private val residentAdapters = LinkedHashMap<String, ParamBuffer>()
    private var patchedCopies: Pair<String, ParamBuffer>? = null

    /** Times a host master copy was loaded from the model file. */
    var hostMasterLoads = 0
        private set

    /** Times the resident part's weights were loaded (its LoRA adapters apart). */
    var residentPartLoads = 0
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
            val (fixed, fixedUploaded) = residentPart(device, structure, resident, component, patch)
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

    /** Whether the resident part for [resident] on [device] is on the device now (its adapters are brought up to date as it runs). */
    fun holds(device: Device, resident: Set<String>): Boolean = residentPart?.first == key(device, resident)

    /**
     * The resident part for [resident] on [device]: the kept one when it matches (repatched for another [patch]),
     * else freshly loaded, with its adapters those of [component]'s LoRA files (the kept ones of files still named,
     * the others loaded); its buffers and the bytes uploaded.
     */
    private fun residentPart(device: Device, structure: BlockStructure, resident: Set<String>, component: Component,
                             patch: WeightPatch?): Pair<List<ParamBuffer>, Long> {
        val key = key(device, resident)
        val units = LoadUnits.of(component, StreamedParams.fixedSpecs(structure, resident))
        var bytes = 0L
        val kept = residentPart?.takeIf { it.first == key }?.second
        val weights = if (kept != null) {
            val again = repatched(kept, patch)
            bytes += ParamLoader(patch = patch).use { loader -> again.sumOf { loader.load(kept.tensor(it), component.tensors.getValue(it), it) } }
            residentPatch = patch
            kept
        } else {
            releaseResidentPart()
            val (loaded, uploaded) = load(device, units.weights, component.tensors, "$owner (resident part)", patch)
            residentPart = key to loaded
            residentPatch = patch
            residentPartLoads++
            bytes += uploaded
            loaded
        }
        dropStaleAdapters(units)
        for ((source, specs) in units.adapters) {
            if (source in residentAdapters) continue
            val (loaded, uploaded) = load(device, specs, component.tensors, "$owner (resident part, low-rank LoRA ${Loras.fileName(source)})", null)
            residentAdapters[source] = loaded
            bytes += uploaded
        }
        return (listOf(weights) + residentAdapters.values) to bytes
    }

    /** The kept resident part's tensors that bringing it to [patch] loads again: those its patch or [patch] changes; none for the same patch. */
    private fun repatched(kept: ParamBuffer, patch: WeightPatch?): List<String> =
        if (residentPatch?.key == patch?.key) emptyList()
        else (residentPatch?.names.orEmpty() + patch?.names.orEmpty()).filter { it in kept.names }

    /** The resident part's split into weights and adapters per LoRA file for [resident] on [device], with the current adapters. */
    private fun residentUnits(device: Device, resident: Set<String>): LoadUnits {
        val component = model().components.getValue(streamable.component)
        val structure = streamable.blocks(ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device), requested = requestedType).usable(device.name()))
        return LoadUnits.of(component, StreamedParams.fixedSpecs(structure, resident))
    }

    /** Frees the resident part's adapters of LoRA files [units] no longer has (or has with other tensors). */
    private fun dropStaleAdapters(units: LoadUnits) {
        val iterator = residentAdapters.entries.iterator()
        while (iterator.hasNext()) {
            val (source, buffer) = iterator.next()
            if (units.adapters[source]?.mapTo(HashSet()) { it.name } != buffer.names) {
                buffer.close()
                iterator.remove()
            }
        }
    }

    /**
     * What [run] uploads to bring the kept resident part for [resident] on [device] ([holds]) to [patch] and the
     * component's current adapters: the tensors it loads again and the adapters of the LoRA files it adds.
     */
    fun switchBytes(device: Device, resident: Set<String>, patch: WeightPatch?): Long {
        val kept = residentPart?.takeIf { it.first == key(device, resident) }?.second
            ?: throw IllegalStateException("the $owner's resident part for these blocks is not kept")
        val units = residentUnits(device, resident)
        val added = units.adapters.filter { (source, specs) -> residentAdapters[source]?.names != specs.mapTo(HashSet()) { it.name } }
        return repatched(kept, patch).sumOf { kept.tensor(it).nbytes() } + added.values.flatten().sumOf { it.dataBytes(ggml) }
    }

    private fun load(device: Device, specs: List<ParamSpec>, sources: Map<String, TensorRef>, label: String, patch: WeightPatch?): Pair<ParamBuffer, Long> =
        try {
            ParamLoader(patch = patch).use { it.allocateAndLoad(ggml, ledger, device.bufferType(), specs, sources, label) }
        } catch (e: GgmlException) {
            throw EngineException("cannot load the $label on ${device.name()}: ${e.message}", e)
        }

    private fun key(device: Device, resident: Set<String>) = device.name() + " " + resident.sorted()

    /**
     * Frees the kept resident part unless it is the one for [resident] on [device]: nothing else may sit in a phase; of
     * that one, the adapters of LoRA files the component no longer takes, so that the device holds no more than the
     * plan counts while the phases before the component's run.
     */
    fun keepOnly(device: Device, resident: Set<String>) {
        if (residentPart?.first != key(device, resident)) releaseResidentPart()
        else dropStaleAdapters(residentUnits(device, resident))
    }

    /** Frees the component's resident part if it is kept. */
    fun releaseResidentPart() {
        residentPart?.second?.close()
        residentPart = null
        residentPatch = null
        residentAdapters.values.forEach(ParamBuffer::close)
        residentAdapters.clear()
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
