package dev.sdj.core.graph

import dev.sdj.core.device.ComputeBackends
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * [FlashAttention] against the float64 reference at the diffusion model's head sizes (SD 1.x: 40, 80 and 160; SD 2.x:
 * 64), for self-attention and for cross-attention on 77 text tokens, in batches of two. K and V are rounded to f16
 * (and q too inside the CPU kernel; lavapipe also keeps partial results in f16), so the bound [F16] is f16 rounding
 * of inputs of magnitude 1 (2^−11 ≈ 4.9e−4 each) summed over keys: measured up to 2.4e-3 on the CPU (d = 40) and
 * 3.6e-3 on lavapipe (d = 160), against 1e-5 for the naive f32 path (AttentionBlockTest).
 */
class FlashAttentionTest {
    private val ggml = Ggml.get()

    /** The attention's output and whether the fused path was built (no softmax in the graph). */
    private fun run(deviceName: String, q: Nd, k: Nd, v: Nd, heads: Int): Pair<FloatArray, Boolean> {
        val device = ggml.devices().first { it.name() == deviceName }
        var fused = false
        val inputs = mapOf("q" to q, "k" to k, "v" to v)
        val out = ComputeBackends.open(device, 2).use { backend ->
            CompiledGraph(ggml, device.bufferType(), attention = FlashAttention(device)) { g ->
                val i = inputs.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) }
                g.nn.attention(i.getValue("q"), i.getValue("k"), i.getValue("v"), heads).also {
                    fused = g.nn.ctx.tensors().none { t -> t.opName() == "SOFT_MAX" }
                }
            }.use { graph ->
                for ((name, nd) in inputs) graph.input(name).setFloats(nd.toFloats())
                graph.run(backend)
            }
        }
        return out to fused
    }

    private fun check(deviceName: String, headDim: Int, heads: Int, tq: Int, tk: Int) {
        val rnd = Random(headDim * 31L + tk)
        val c = headDim * heads
        val q = Nd.random(rnd, 1.0, c, tq, 2)
        val k = Nd.random(rnd, 1.0, c, tk, 2)
        val v = Nd.random(rnd, 1.0, c, tk, 2)
        val (out, fused) = run(deviceName, q, k, v, heads)
        assertTrue(fused, "ggml 0.25.1 runs flash attention at d=$headDim on $deviceName, but the naive path was built")
        val error = Reference64.relativeError(out, Reference64.attention(q, k, v, heads))
        assertTrue(error <= F16, "d=$headDim $tq×$tk on $deviceName: relative error $error > $F16")
    }

    @Test
    fun `cpu self and cross attention at sd head sizes agree with float64`() {
        for (headDim in listOf(40, 64, 80, 160)) {
            check("CPU", headDim, heads = 2, tq = 96, tk = 96)
            check("CPU", headDim, heads = 2, tq = 96, tk = 77)
        }
    }

    /** Lavapipe builds a shader per head size, slowly: one size for self-attention, one for cross-attention. */
    @Test
    fun `vulkan self and cross attention agree with float64`() {
        check("Vulkan0", 40, heads = 2, tq = 64, tk = 64)
        check("Vulkan0", 64, heads = 2, tq = 64, tk = 77)
    }

    private companion object {
        const val F16 = 6e-3
    }
}
