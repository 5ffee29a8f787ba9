package dev.sdj.core.graph

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * [Nn.attention] against the float64 reference: heads split as PyTorch models split them (channel h·d + j is element
 * j of head h), softmax over keys scaled by d^−½, queries and keys of different lengths, batches of two, and the
 * causal mask. Everything is f32 on the CPU (mul_mat, softmax), so the bound [F32] is float rounding only; a wrong
 * permutation or head split gives errors of order 1.
 */
class AttentionBlockTest {
    private val ggml = Ggml.get()

    private fun run(inputs: Map<String, Nd>, build: (Nn, Map<String, Tensor>) -> Tensor): FloatArray {
        val device = ggml.cpu()
        return ComputeBackends.open(device, 2).use { backend ->
            CompiledGraph(ggml, device.bufferType()) { g ->
                build(g.nn, inputs.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) })
            }.use { graph ->
                for ((name, nd) in inputs) graph.input(name).setFloats(nd.toFloats())
                graph.run(backend)
            }
        }
    }

    @Test
    fun `cross attention with one, four and eight heads`() {
        val rnd = Random(1)
        val q = Nd.random(rnd, 1.0, 32, 5, 2)
        val k = Nd.random(rnd, 1.0, 32, 7, 2)
        val v = Nd.random(rnd, 1.0, 32, 7, 2)
        for (heads in listOf(1, 4, 8)) {
            val out = run(mapOf("q" to q, "k" to k, "v" to v)) { nn, i -> nn.attention(i.getValue("q"), i.getValue("k"), i.getValue("v"), heads) }
            assertClose(out, Reference64.attention(q, k, v, heads), F32, "attention 5×7 tokens, $heads heads (cpu)")
        }
    }

    @Test
    fun `causal self attention`() {
        val rnd = Random(2)
        val (q, k, v) = List(3) { Nd.random(rnd, 1.0, 32, 6, 2) }
        val out = run(mapOf("q" to q, "k" to k, "v" to v)) { nn, i -> nn.attention(i.getValue("q"), i.getValue("k"), i.getValue("v"), 4, causal = true) }
        assertClose(out, Reference64.attention(q, k, v, 4, causal = true), F32, "causal attention 6 tokens, 4 heads (cpu)")
    }

    private companion object {
        const val F32 = 1e-5
    }
}
