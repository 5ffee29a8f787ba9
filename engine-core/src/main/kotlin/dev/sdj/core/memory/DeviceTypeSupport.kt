package dev.sdj.core.memory

import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlException
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import java.util.concurrent.ConcurrentHashMap

/**
 * [TypeSupport] asked of ggml: the ops that read a weight are built in a metadata context with the weight's real
 * type and shape and a minimal f32 activation, and the device must support every node
 * (`ggml_backend_dev_supports_op`). Backends differ by type and sometimes by shape (some ggml-vulkan quantized
 * matrix kernels), so answers are kept per device, use, type and shape.
 */
class DeviceTypeSupport private constructor(private val ggml: Ggml, private val device: Device) : TypeSupport {
    private val answers = ConcurrentHashMap<Triple<WeightUse, GgmlType, List<Long>>, Boolean>()

    override fun accepts(use: WeightUse, type: GgmlType, shape: List<Long>): Boolean {
        if (shape.isEmpty() || shape[0] % ggml.blockSize(type) != 0L) return false
        return answers.computeIfAbsent(Triple(use, type, shape)) { ask(use, type, shape) }
    }

    private fun ask(use: WeightUse, type: GgmlType, shape: List<Long>): Boolean {
        // conv2d takes f32 and f16 kernels only (see GgmlContext.conv2d): ggml-vulkan's supports_op accepts a bf16
        // kernel as the product's second operand and then asserts, so that combination is never asked
        if (use == WeightUse.KERNEL && type != GgmlType.F32 && type != GgmlType.F16) return false
        ggml.newContext(16, GRAPH_NODES).use { ctx ->
            val w = ctx.newTensor(type, *shape.toLongArray())
            // The bridge refuses to build an op ggml would abort on (e.g. add with a quantized operand): not supported.
            val outputs = try {
                readers(ctx, use, w, shape)
            } catch (e: GgmlException) {
                return false
            }
            val graph = ctx.graph(GRAPH_NODES, *outputs.toTypedArray())
            return (0 until graph.nodeCount()).all { device.supports(graph.node(it)) }
        }
    }

    /** The ops the SD-family graphs apply to a weight of [use], on activations of the smallest fitting shape. */
    private fun readers(ctx: GgmlContext, use: WeightUse, w: Tensor, shape: List<Long>): List<Tensor> = when (use) {
        WeightUse.VECTOR -> {
            val x = ctx.newTensor(GgmlType.F32, shape[0], 2)
            listOf(ctx.add(x, w), ctx.mul(x, w))
        }
        WeightUse.MATRIX -> {
            val x = ctx.newTensor(GgmlType.F32, *(listOf(shape[0], 1L) + shape.drop(2)).toLongArray())
            listOf(ctx.mulMat(w, x))
        }
        WeightUse.TABLE -> {
            val ids = ctx.newTensor(GgmlType.I32, 2)
            val rows = minOf(2L, shape.getOrElse(1) { 1L })
            listOf(ctx.getRows(w, ids), ctx.cast(ctx.view2d(w, shape[0], rows, w.strides()[1], 0), GgmlType.F32))
        }
        WeightUse.KERNEL -> {
            val x = ctx.newTensor(GgmlType.F32, shape[0], shape[1], shape[2], 1)
            listOf(ctx.conv2d(w, x, 1, 0))
        }
    }

    companion object {
        private const val GRAPH_NODES = 32
        private val byDevice = ConcurrentHashMap<String, DeviceTypeSupport>()

        fun of(ggml: Ggml, device: Device): DeviceTypeSupport =
            byDevice.computeIfAbsent(device.name()) { DeviceTypeSupport(ggml, device) }
    }
}
