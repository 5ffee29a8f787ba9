package dev.sdj.core.family

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.util.Random

/**
 * Random parameters, by name, for block tests of structures the tiny SD model does not have (SDXL's): each tensor
 * Gaussian with a fan-in scaled deviation (or a given one), stored in a chosen type (f32, f16 or a quantized type) on
 * any device. The float64 reference reads the values as stored — rounded to f16 or quantized and dequantized — so
 * weight rounding is no part of the errors the tests measure.
 */
class RandomWeights(seed: Long) : AutoCloseable {
    val ggml: Ggml = Ggml.get()
    val cpu: Device = ggml.cpu()
    private val rnd = Random(seed)
    private val tensors = LinkedHashMap<String, Pair<GgmlType, Nd>>()
    private val ledger = MemoryLedger()
    private val buffers = LinkedHashMap<String, ParamBuffer>()

    /** Adds [name] with shape [ne] (ggml order), N(0, [std]²) values (default 1/√fan-in, fan-in all but the last dimension). */
    fun add(name: String, vararg ne: Int, type: GgmlType = GgmlType.F32, std: Double = fanIn(ne)): RandomWeights {
        check(buffers.isEmpty()) { "weights are added before they are first used" }
        tensors[name] = type to Nd.random(rnd, std, *ne)
        return this
    }

    /** Adds [name] with the given values. */
    fun set(name: String, values: Nd, type: GgmlType = GgmlType.F32): RandomWeights {
        check(buffers.isEmpty()) { "weights are added before they are first used" }
        tensors[name] = type to values
        return this
    }

    private fun fanIn(ne: IntArray) = if (ne.size == 1) 0.1 else 1.0 / Math.sqrt(ne.dropLast(1).fold(1) { a, b -> a * b }.toDouble())

    /** The weights on [device], uploaded on first use. */
    fun on(device: Device = cpu): Weights {
        val buffer = buffers.getOrPut(device.name()) {
            val specs = tensors.map { (name, v) -> ParamSpec(name, v.first, v.second.ne.map { it.toLong() }) }
            ParamBuffer.allocate(ggml, ledger, device.bufferType(), specs, "random weights on ${device.name()}").also { b ->
                for ((name, v) in tensors) upload(b.tensor(name), v.first, v.second)
            }
        }
        return MapWeights(buffer.names.associateWith { buffer.tensor(it) })
    }

    private fun upload(t: Tensor, type: GgmlType, values: Nd) {
        if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) {
            t.setFloats(values.toFloats())
            return
        }
        val f32 = ByteBuffer.allocateDirect(4 * values.d.size).order(ByteOrder.nativeOrder())
        f32.asFloatBuffer().put(values.toFloats())
        val q = ByteBuffer.allocateDirect(t.nbytes().toInt()).order(ByteOrder.nativeOrder())
        ggml.quantization().quantize(type, f32, values.ne[0].toLong(), null, q)
        t.write(q.flip(), 0)
    }

    /** The values as the devices hold them, read back from the CPU copy. */
    val reference: Weights64 by lazy {
        val w = on(cpu)
        val cache = HashMap<String, Nd>()
        Weights64 { name -> cache.getOrPut(name) { Nd.of(stored(w.get(name)), *tensors.getValue(name).second.ne) } }
    }

    private fun stored(t: Tensor): FloatArray {
        if (t.type() == GgmlType.F32 || t.type() == GgmlType.F16 || t.type() == GgmlType.BF16) return t.getFloats()
        val q = ByteBuffer.allocateDirect(t.nbytes().toInt()).order(ByteOrder.nativeOrder())
        t.read(q, 0)
        val f32 = ByteBuffer.allocateDirect(4 * t.elementCount().toInt()).order(ByteOrder.nativeOrder())
        ggml.quantization().dequantize(t.type(), q, f32)
        return FloatArray(t.elementCount().toInt()).also { f32.flip().asFloatBuffer().get(it) }
    }

    /**
     * Builds a graph on [device] with [attention], sets its inputs ([floats] as f32, [ints] as i32, each shaped as
     * declared in [build]) and returns the output. A backend per graph, closed before the graph, as [TinyF32Model.run] explains.
     */
    fun run(device: Device, floats: Map<String, Nd> = emptyMap(), ints: Map<String, IntArray> = emptyMap(),
            attention: Attention = NaiveAttention, build: (CompiledGraph.Builder) -> Tensor): FloatArray {
        val graph = CompiledGraph(ggml, device.bufferType(), attention = attention, build = build)
        try {
            for ((name, nd) in floats) graph.input(name).setFloats(nd.toFloats())
            for ((name, ids) in ints) {
                val b = ByteBuffer.allocateDirect(4 * ids.size).order(ByteOrder.nativeOrder())
                ids.forEach { b.putInt(it) }
                graph.input(name).write(b.flip(), 0)
            }
            return ComputeBackends.open(device, 2).use { graph.run(it) }
        } finally {
            graph.close()
        }
    }

    /** The first Vulkan device (lavapipe in CI, where surefire sets GGML_VK_VISIBLE_DEVICES=0); its absence is a failure. */
    fun vulkan(): Device = ggml.devices().firstOrNull { it.backendName() == "Vulkan" }
        ?: throw AssertionError("no Vulkan device; absent backends: ${ggml.absentBackends()}")

    override fun close() {
        buffers.values.forEach { it.close() }
    }
}
