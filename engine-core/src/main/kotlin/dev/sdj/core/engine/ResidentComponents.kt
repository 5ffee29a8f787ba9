package dev.sdj.core.engine

import dev.sdj.api.EngineException
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.lora.Loras
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.InPlaceParams
import dev.sdj.core.memory.LoadUnits
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.WeightPatch
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import dev.sdj.ggml.Tensor

/**
 * The components whose parameters are loaded whole, each on one device, through the ledger. They stay between
 * phases and generations until freed: the engine frees what a placement does not keep. On the CPU, when [mapOnCpu],
 * the weights it reads as stored are served from the mapped model files instead ([InPlaceParams]) — but for those a
 * [WeightPatch] changes, which cannot be changed in a read-only mapping and are copied. A component loaded under
 * one patch and needed under another gets only the tensors either patch changes loaded again, from the model file.
 * Low-rank LoRA adapters ([dev.sdj.core.model.Component.adapters]) are tensors of the component, but each LoRA file's
 * sit in a buffer of their own ([LoadUnits]) beside the weights: a change of the set loads the adapters of the files
 * it adds and frees those of the files it drops, and a change of a LoRA's weight (a factor in the graph) loads nothing.
 */
internal class ResidentComponents(private val ggml: Ggml, private val ledger: MemoryLedger, private val model: () -> AssembledModel,
                                  private val requestedType: DType?, private val mapOnCpu: Boolean) :
    AutoCloseable {
    private val buffers = LinkedHashMap<ComponentKind, ParamBuffer>()
    private val deviceNames = HashMap<ComponentKind, String>()
    private val patches = HashMap<ComponentKind, WeightPatch>()
    /** Each loaded component's low-rank adapters, one buffer per source (LoRA file), by source. */
    private val adapters = HashMap<ComponentKind, MutableMap<String, ParamBuffer>>()

    /** A loaded component's allocated parameter bytes, its adapters' included. */
    fun bytes(kind: ComponentKind): Long? = buffers[kind]?.let { b -> b.bytes + adapters[kind].orEmpty().values.sumOf { it.bytes } }

    /** A loaded component's parameter bytes served from mapped files, its adapters' included. */
    fun mappedBytes(kind: ComponentKind): Long? =
        buffers[kind]?.let { b -> b.mappedBytes + adapters[kind].orEmpty().values.sumOf { it.mappedBytes } }

    /** The device a loaded component is on, or null when it is not loaded. */
    fun deviceOf(kind: ComponentKind): String? = deviceNames[kind]

    val loaded: Set<ComponentKind> get() = buffers.keys

    fun weights(kind: ComponentKind): Weights {
        val tensors = HashMap<String, Tensor>()
        for (b in listOf(buffers.getValue(kind)) + adapters[kind].orEmpty().values) b.names.associateWithTo(tensors) { b.tensor(it) }
        return MapWeights(tensors, model().components.getValue(kind).adapters)
    }

    /**
     * Loads the components not yet loaded, each on its device, with the patch [patchOf] gives it (null: none), and
     * repatches those loaded under another patch; brings each one's adapters to the component's current ones. Returns
     * the bytes uploaded (mapped ones are not).
     */
    fun ensure(deviceOf: (ComponentKind) -> Device, kinds: Collection<ComponentKind>, patchOf: (ComponentKind) -> WeightPatch? = { null }): Long {
        var uploaded = 0L
        for (kind in kinds) {
            val patch = patchOf(kind)
            val component = model().components.getValue(kind)
            val current = buffers[kind]
            if (current != null) {
                val again = repatched(kind, patch)
                if (again == null) free(kind) else uploaded += repatch(kind, current, again, patch)
            }
            val held = adapters.getOrPut(kind) { LinkedHashMap() }
            if (kind in buffers && stale(kind).isEmpty() && added(kind).isEmpty()) continue
            // The engine frees what sits on another device than the placement's first, so the adapters join their weights.
            val device = deviceOf(kind)
            val units = LoadUnits.of(component, ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device), requested = requestedType).usable(device.name()))
            if (kind !in buffers) {
                val (buffer, bytes) = load(device, units.weights, component.tensors, kind.label, patch)
                buffers[kind] = buffer
                deviceNames[kind] = device.name()
                patch?.let { patches[kind] = it }
                uploaded += bytes
            }
            // A file whose weights now take other paths (another apply mode) has other adapters: loaded again too.
            stale(kind).forEach { held.remove(it)?.close() }
            for ((source, specs) in units.adapters) {
                if (source in held) continue
                val (buffer, bytes) = load(device, specs, component.tensors, "${kind.label} (low-rank LoRA ${Loras.fileName(source)})", null)
                held[source] = buffer
                uploaded += bytes
            }
        }
        return uploaded
    }

    /**
     * The tensors of loaded [kind] that bringing it to [patch] loads again from the model file: those its current
     * patch or [patch] changes, none when the patch is the same; null when some of them are served from the mapped
     * file, which cannot be changed there, so that the component is loaded anew.
     */
    private fun repatched(kind: ComponentKind, patch: WeightPatch?): Set<String>? {
        val old = patches[kind]
        if (old?.key == patch?.key) return emptySet()
        val changed = old?.names.orEmpty() + patch?.names.orEmpty()
        return changed.takeIf { names -> names.none { it in buffers.getValue(kind).mappedNames } }
    }

    /** The LoRA files whose adapters loaded [kind] holds but its component no longer has (or has with other tensors). */
    private fun stale(kind: ComponentKind): List<String> {
        val wanted = model().components.getValue(kind).adapterSources
        return adapters[kind].orEmpty().filter { (source, buffer) -> wanted[source] != buffer.names }.keys.toList()
    }

    /** The adapter tensors of [kind]'s component, by LoRA file, that it does not hold as its component has them. */
    private fun added(kind: ComponentKind): Map<String, Set<String>> {
        val held = adapters[kind].orEmpty()
        return model().components.getValue(kind).adapterSources.filter { (source, names) -> held[source]?.names != names }
    }

    /** Whether [kind], when loaded, takes [patch] where it is; else [ensure] (and [settle]) free it and it is loaded anew. */
    fun patchableInPlace(kind: ComponentKind, patch: WeightPatch?): Boolean = kind !in buffers || repatched(kind, patch) != null

    /**
     * What [ensure] uploads to bring [kind], loaded on [device] and patchable in place, to [patch] and its component's
     * current adapters: the tensors it loads again and the adapters of the LoRA files it adds.
     */
    fun switchBytes(kind: ComponentKind, device: Device, patch: WeightPatch?): Long {
        val buffer = buffers.getValue(kind)
        val again = requireNotNull(repatched(kind, patch)) { "the ${kind.label} is loaded anew for this patch, not switched" }
        val added = added(kind).values.flatten()
        val specs = if (added.isEmpty()) emptyList()
            else ParamSpecs.of(model().components.getValue(kind), DeviceTypeSupport.of(ggml, device), added, requestedType).usable(device.name())
        return again.sumOf { buffer.tensor(it).nbytes() } + specs.sumOf { it.dataBytes(ggml) }
    }

    /**
     * Before a generation: frees the loaded components that cannot take their patch ([patchOf]) in place, and the
     * adapters of LoRA files the others no longer take — so that while the phases before a component's own run, the
     * device holds no more than the plan counts for it.
     */
    fun settle(patchOf: (ComponentKind) -> WeightPatch?) {
        for (kind in buffers.keys.toList()) {
            if (!patchableInPlace(kind, patchOf(kind))) {
                free(kind)
                continue
            }
            val held = adapters[kind] ?: continue
            stale(kind).forEach { held.remove(it)?.close() }
        }
    }

    /** Allocates [specs] on [device] and loads them from [sources], changed by [patch] (the CPU's as stored served from the mapped files instead). */
    private fun load(device: Device, specs: List<ParamSpec>, sources: Map<String, TensorRef>, owner: String, patch: WeightPatch?): Pair<ParamBuffer, Long> =
        try {
            val inPlace = if (mapOnCpu && device.type() == DeviceType.CPU) InPlaceParams.select(specs, sources) - patch?.names.orEmpty() else emptyMap()
            ParamLoader(patch = patch).use { it.allocateAndLoad(ggml, ledger, device.bufferType(), specs, sources, owner, inPlace) }
        } catch (e: GgmlException) {
            throw EngineException("cannot load the $owner on ${device.name()}: ${e.message}", e)
        }

    /** Loads [names] of a loaded component again from the model file, changed by [patch] where it changes them. */
    private fun repatch(kind: ComponentKind, buffer: ParamBuffer, names: Set<String>, patch: WeightPatch?): Long {
        val sources = model().components.getValue(kind).tensors
        val bytes = ParamLoader(patch = patch).use { loader -> names.sumOf { loader.load(buffer.tensor(it), sources.getValue(it), it) } }
        if (patch == null) patches.remove(kind) else patches[kind] = patch
        return bytes
    }

    fun free(vararg kinds: ComponentKind) = kinds.forEach {
        buffers.remove(it)?.close()
        deviceNames.remove(it)
        patches.remove(it)
        adapters.remove(it)?.values?.forEach(ParamBuffer::close)
    }

    /** Frees those of [kinds] that are loaded on [device]. */
    fun freeOn(device: Device, vararg kinds: ComponentKind) = free(*kinds.filter { deviceNames[it] == device.name() }.toTypedArray())

    override fun close() = free(*buffers.keys.toTypedArray())
}
