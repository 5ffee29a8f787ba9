package dev.sdj.core.family

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.MapWeights
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Reference64
import dev.sdj.core.graph.Weights
import dev.sdj.core.graph.Weights64
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Assertions.assertTrue
import java.nio.file.Path

/**
 * The tiny SD model with every tensor stored in f32 — so weight rounding does not dominate the errors block tests
 * measure — opened the way the engine opens a checkpoint and loaded into parameter buffers per device on first use.
 * The float64 reference reads the same weights back from the CPU buffers.
 */
class TinyF32Model(dir: Path) : AutoCloseable {
    val ggml: Ggml = Ggml.get()
    val cpu: Device = ggml.cpu()

    private val model = ModelAssembly.assemble(ModelOpener.open(listOf(
        // N(0, 0.05) weights: the bounds of the block tests are reasoned for that scale (see UnetBlockTest)
        TinySdModel(typeOf = { _, _ -> DType.F32 }, fanInScaled = false).writeSingleFile(dir.resolve("tiny-f32.safetensors")))))
    private val ledger = MemoryLedger()
    private val buffers = LinkedHashMap<Pair<ComponentKind, String>, ParamBuffer>()

    /** The component's weights on [device], loaded from the file on first use. */
    fun weights(kind: ComponentKind, device: Device = cpu): Weights {
        val buffer = buffers.getOrPut(kind to device.name()) {
            val component = model.components.getValue(kind)
            ParamBuffer.allocate(ggml, ledger, device.bufferType(), ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device)).specs, "${kind.label} on ${device.name()}")
                .also { b -> ParamLoader().use { it.load(b, component.tensors) } }
        }
        return MapWeights(buffer.names.associateWith { buffer.tensor(it) })
    }

    /** The same weights for the reference: the CPU copy read back (f32, so exactly the values ggml computes with). */
    fun reference(kind: ComponentKind): Weights64 {
        val w = weights(kind)
        val cache = HashMap<String, Nd>()
        return Weights64 { name ->
            cache.getOrPut(name) {
                val t = w.get(name)
                check(t.type() == GgmlType.F32) { "'$name' is ${t.type()}; the block tests need f32 weights" }
                Nd.of(t.getFloats(), *t.shape().map { it.toInt() }.toIntArray())
            }
        }
    }

    /**
     * Builds a graph over f32 [inputs] (shaped as the reference arrays are), runs it on [device] and returns the
     * output as floats.
     *
     * Each run gets its own backend, closed before the graph's compute buffer is freed. On lavapipe (Mesa 22.3.6,
     * the Vulkan device of CI), computing graphs one after another on one Vulkan backend while freeing each one's
     * compute buffer corrupted the heap ("corrupted double-linked list", or a segfault in a lavapipe thread) in 16
     * of 22 runs of 50 graphs; with a backend per graph, or with the buffers kept, in none of 17.
     */
    fun run(device: Device, inputs: Map<String, Nd>, build: (Nn, Map<String, Tensor>) -> Tensor): FloatArray {
        val graph = CompiledGraph(ggml, device.bufferType()) { g ->
            build(g.nn, inputs.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) })
        }
        try {
            for ((name, nd) in inputs) graph.input(name).setFloats(nd.toFloats())
            return ComputeBackends.open(device, 2).use { graph.run(it) }
        } finally {
            graph.close()
        }
    }

    /** The first Vulkan device; surefire sets GGML_VK_VISIBLE_DEVICES=0 so lavapipe counts, and its absence is a failure. */
    fun vulkan(): Device = ggml.devices().firstOrNull { it.backendName() == "Vulkan" }
        ?: throw AssertionError("no Vulkan device; absent backends: ${ggml.absentBackends()} " +
            "(the tests need libvulkan1 and mesa-vulkan-drivers, and GGML_VK_VISIBLE_DEVICES=0)")

    override fun close() {
        buffers.values.forEach { it.close() }
    }

    companion object {
        /** Asserts max|actual − expected| / max|expected| ≤ [bound] and returns the error, printed for the record. */
        fun assertClose(actual: FloatArray, expected: Nd, bound: Double, what: String): Double {
            val err = Reference64.relativeError(actual, expected)
            println("block error: %-55s %.2e (bound %.0e)".format(what, err, bound))
            assertTrue(err <= bound, "$what: relative error $err exceeds $bound")
            return err
        }
    }
}
