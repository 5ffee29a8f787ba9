package dev.sdj.core.graph

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Test
import java.util.Random
import dev.sdj.core.graph.Reference64 as R

/**
 * LoRAs applied as graph ops ([Weights.lowRank]) by [Nn.linear] and [Nn.conv2d], against float64: y = W·x + b plus,
 * for each LoRA, factor · up·(down·x) — for a convolution (LoCon) the down kernel convolved as W is (same stride and
 * padding), then the 1×1 up kernel. Two LoRAs on one weight, so the terms are summed, each with its own factor.
 *
 * Errors are max|ggml − ref| / max|ref|, bounds a few times above what these seeds give on x86-64 (in brackets):
 * - CPU 1e-5 [linear 1.6e-7, convolution 1.9e-7]: every tensor f32.
 * - lavapipe 1e-2 [linear 4.6e-4, convolution 1.3e-7]: lavapipe's matrix products round their operands below f32.
 * A term dropped, added twice, scaled wrongly or with down and up crossed gives errors of order 0.1 to 1.
 */
class LowRankLayersTest {
    private val ggml = Ggml.get()

    private fun vulkan(): Device = ggml.devices().firstOrNull { it.backendName() == "Vulkan" }
        ?: throw AssertionError("no Vulkan device (the tests need lavapipe and GGML_VK_VISIBLE_DEVICES=0)")

    private val factors = listOf(0.7f, -1.3f)

    /** Builds a graph whose weights and adapters are f32 inputs named as in [values], runs it on [device]. */
    private fun run(device: Device, values: Map<String, Nd>, layer: (Nn, Weights, Tensor) -> Tensor): FloatArray {
        val adapters = mapOf("layer.weight" to factors.indices.map { LowRankAdapter("layer.down$it", "layer.up$it", factors[it]) })
        val graph = CompiledGraph(ggml, device.bufferType()) { g ->
            val tensors = values.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) }
            layer(g.nn, MapWeights(tensors, adapters).at("layer"), tensors.getValue("x"))
        }
        try {
            for ((name, nd) in values) graph.input(name).setFloats(nd.toFloats())
            return ComputeBackends.open(device, 2).use { graph.run(it) }
        } finally {
            graph.close()
        }
    }

    private fun linear(device: Device, bound: Double, what: String) {
        val rnd = Random(5)
        val (inF, outF, rank) = Triple(24, 16, 4)
        val values = mapOf(
            "x" to Nd.random(rnd, 1.0, inF, 5, 2),
            "layer.weight" to Nd.random(rnd, 0.2, inF, outF),
            "layer.bias" to Nd.random(rnd, 0.2, outF),
        ) + factors.indices.flatMap { i ->
            listOf("layer.down$i" to Nd.random(rnd, 0.3, inF, rank), "layer.up$i" to Nd.random(rnd, 0.3, rank, outF))
        }
        val x = values.getValue("x")
        var expected = R.linear(x, values.getValue("layer.weight"), values.getValue("layer.bias"))
        for ((i, f) in factors.withIndex()) {
            expected += R.linear(R.linear(x, values.getValue("layer.down$i"), null), values.getValue("layer.up$i"), null).map { it * f }
        }
        assertClose(run(device, values) { nn, w, input -> nn.linear(input, w) }, expected, bound, "low-rank linear 24 → 16, rank 4 ($what)")
    }

    private fun conv(device: Device, bound: Double, what: String) {
        val rnd = Random(6)
        val (cin, cout, rank) = Triple(6, 8, 3)
        val values = mapOf(
            "x" to Nd.random(rnd, 1.0, 9, 7, cin, 2),
            "layer.weight" to Nd.random(rnd, 0.2, 3, 3, cin, cout),
            "layer.bias" to Nd.random(rnd, 0.2, cout),
        ) + factors.indices.flatMap { i ->
            listOf("layer.down$i" to Nd.random(rnd, 0.3, 3, 3, cin, rank), "layer.up$i" to Nd.random(rnd, 0.3, 1, 1, rank, cout))
        }
        val x = values.getValue("x")
        for (stride in listOf(1, 2)) {
            var expected = R.conv2d(x, values.getValue("layer.weight"), values.getValue("layer.bias"), stride, 1)
            for ((i, f) in factors.withIndex()) {
                val down = R.conv2d(x, values.getValue("layer.down$i"), null, stride, 1)
                expected += R.conv2d(down, values.getValue("layer.up$i"), null, 1, 0).map { it * f }
            }
            assertClose(run(device, values) { nn, w, input -> nn.conv2d(input, w, stride, 1) }, expected, bound,
                "low-rank 3×3 convolution (LoCon), stride $stride ($what)")
        }
    }

    @Test
    fun `a linear layer adds each LoRA's factor times up·(down·x) on the cpu`() = linear(ggml.cpu(), 1e-5, "cpu")

    @Test
    fun `a convolution adds each LoCon's down kernel convolved then its 1×1 up kernel on the cpu`() = conv(ggml.cpu(), 1e-5, "cpu")

    @Test
    fun `a linear layer adds each LoRA's factor times up·(down·x) on lavapipe`() = linear(vulkan(), 1e-2, "lavapipe")

    @Test
    fun `a convolution adds each LoCon's down kernel convolved then its 1×1 up kernel on lavapipe`() = conv(vulkan(), 1e-2, "lavapipe")
}
