package dev.sdj.core.engine

import dev.sdj.api.EngineException
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Weights
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.InPlaceParams
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.memory.WeightPatch
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException

/**
 * The components whose parameters are loaded whole, each on one device, through the ledger. They stay between
 * phases and generations until freed: the engine frees what a placement does not keep. On the CPU, when [mapOnCpu],
 * the weights it reads as stored are served from the mapped model files instead ([InPlaceParams]) — but for those a
 * [WeightPatch] changes, which cannot be changed in a read-only mapping and are copied. A component loaded under
 * one patch and needed under another gets only the tensors either patch changes loaded again, from the model file.
 * Low-rank LoRA adapters ([dev.sdj.core.model.Component.adapters]) are tensors of the component: loaded with it, and
 * a component whose adapters change is loaded again whole.
 */
internal class ResidentComponents(private val ggml: Ggml, private val ledger: MemoryLedger, private val model: () -> AssembledModel,
                                  private val requestedType: DType?, private val mapOnCpu: Boolean) :
    AutoCloseable {
    private val buffers = LinkedHashMap<ComponentKind, ParamBuffer>()
    private val deviceNames = HashMap<ComponentKind, String>()
    private val patches = HashMap<ComponentKind, WeightPatch>()
    /** The low-rank adapter tensors each loaded component holds. */
    private val adapters = HashMap<ComponentKind, Set<String>>()

    /** A loaded component's allocated parameter bytes. */
    fun bytes(kind: ComponentKind): Long? = buffers[kind]?.bytes

    /** A loaded component's parameter bytes served from mapped model files. */
    fun mappedBytes(kind: ComponentKind): Long? = buffers[kind]?.mappedBytes

    /** The device a loaded component is on, or null when it is not loaded. */
    fun deviceOf(kind: ComponentKind): String? = deviceNames[kind]

    val loaded: Set<ComponentKind> get() = buffers.keys

    fun weights(kind: ComponentKind): Weights = buffers.getValue(kind).let { b ->
        MapWeights(b.names.associateWith { b.tensor(it) }, model().components.getValue(kind).adapters)
    }

    /**
     * Loads the components not yet loaded, each on its device, with the patch [patchOf] gives it (null: none), and
     * repatches those loaded under another patch; returns the bytes uploaded (mapped ones are not).
     */
    fun ensure(deviceOf: (ComponentKind) -> Device, kinds: Collection<ComponentKind>, patchOf: (ComponentKind) -> WeightPatch? = { null }): Long {
        var uploaded = 0L
        for (kind in kinds) {
            val patch = patchOf(kind)
            val component = model().components.getValue(kind)
            if (kind in buffers && adapters[kind].orEmpty() != component.adapterTensors) free(kind)
            val current = buffers[kind]
            if (current != null) {
                if (patches[kind]?.key == patch?.key) continue
                val changed = patches[kind]?.names.orEmpty() + patch?.names.orEmpty()
                if (changed.none { it in current.mappedNames }) {
                    uploaded += repatch(kind, current, changed, patch)
                    continue
                }
                free(kind)
            }
            val device = deviceOf(kind)
            val (buffer, bytes) = try {
                val specs = ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device), requested = requestedType).usable(device.name())
                val inPlace = if (mapOnCpu && device.type() == DeviceType.CPU) {
                    InPlaceParams.select(specs, component.tensors) - patch?.names.orEmpty()
                } else emptyMap()
                ParamLoader(patch = patch).use { it.allocateAndLoad(ggml, ledger, device.bufferType(), specs, component.tensors, kind.label, inPlace) }
            } catch (e: GgmlException) {
                throw EngineException("cannot load the ${kind.label} on ${device.name()}: ${e.message}", e)
            }
            buffers[kind] = buffer
            deviceNames[kind] = device.name()
            patch?.let { patches[kind] = it }
            adapters[kind] = component.adapterTensors
            uploaded += bytes
        }
        return uploaded
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
        adapters.remove(it)
    }

    /** Frees those of [kinds] that are loaded on [device]. */
    fun freeOn(device: Device, vararg kinds: ComponentKind) = free(*kinds.filter { deviceNames[it] == device.name() }.toTypedArray())

    override fun close() = free(*buffers.keys.toTypedArray())
}
