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
 * the weights it reads as stored are served from the mapped model files instead ([InPlaceParams]).
 */
internal class ResidentComponents(private val ggml: Ggml, private val ledger: MemoryLedger, private val model: AssembledModel,
                                  private val requestedType: DType?, private val mapOnCpu: Boolean) :
    AutoCloseable {
    private val buffers = LinkedHashMap<ComponentKind, ParamBuffer>()
    private val deviceNames = HashMap<ComponentKind, String>()

    /** A loaded component's allocated parameter bytes. */
    fun bytes(kind: ComponentKind): Long? = buffers[kind]?.bytes

    /** A loaded component's parameter bytes served from mapped model files. */
    fun mappedBytes(kind: ComponentKind): Long? = buffers[kind]?.mappedBytes

    /** The device a loaded component is on, or null when it is not loaded. */
    fun deviceOf(kind: ComponentKind): String? = deviceNames[kind]

    val loaded: Set<ComponentKind> get() = buffers.keys

    fun weights(kind: ComponentKind): Weights = buffers.getValue(kind).let { b -> MapWeights(b.names.associateWith { b.tensor(it) }) }

    /** Loads the components not yet loaded, each on its device; returns the bytes uploaded (mapped ones are not). */
    fun ensure(deviceOf: (ComponentKind) -> Device, kinds: Collection<ComponentKind>): Long {
        var uploaded = 0L
        ParamLoader().use { loader ->
            for (kind in kinds) {
                if (kind in buffers) continue
                val device = deviceOf(kind)
                val component = model.components.getValue(kind)
                val (buffer, bytes) = try {
                    val specs = ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device), requested = requestedType).usable(device.name())
                    val inPlace = if (mapOnCpu && device.type() == DeviceType.CPU) InPlaceParams.select(specs, component.tensors) else emptyMap()
                    loader.allocateAndLoad(ggml, ledger, device.bufferType(), specs, component.tensors, kind.label, inPlace)
                } catch (e: GgmlException) {
                    throw EngineException("cannot load the ${kind.label} on ${device.name()}: ${e.message}", e)
                }
                buffers[kind] = buffer
                deviceNames[kind] = device.name()
                uploaded += bytes
            }
        }
        return uploaded
    }

    fun free(vararg kinds: ComponentKind) = kinds.forEach {
        buffers.remove(it)?.close()
        deviceNames.remove(it)
    }

    /** Frees those of [kinds] that are loaded on [device]. */
    fun freeOn(device: Device, vararg kinds: ComponentKind) = free(*kinds.filter { deviceNames[it] == device.name() }.toTypedArray())

    override fun close() = free(*buffers.keys.toTypedArray())
}
