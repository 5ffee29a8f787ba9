package dev.sdj.core.family.flux

import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Attention
import dev.sdj.core.graph.FlashAttention
import dev.sdj.core.graph.NaiveAttention
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * The whole tiny Flux DiT through [FluxDit.build] — the inputs the pipeline fills, the RoPE table from
 * [FluxDit.ropeTable] — against [FluxReference64.model]: width 64, two heads of 32, two double and two single blocks,
 * a 16-channel 6×4 latent and 5 text tokens, with and without a guidance embedder (dev and schnell).
 *
 * Bounds, a few times the measured errors (in brackets), from the roundings below f32 that FluxBlockTest explains:
 * - [MODEL] 1e-3 [1.7e-4 with guidance, 2.2e-4 without] on the CPU: the GELU table in six MLPs.
 * - [VULKAN] 2e-3 [1.5e-4]: lavapipe's f32 matrix products.
 * - [FLASH] 3e-3 [2.3e-4 CPU, 2.7e-4 lavapipe]: flash attention (fused on both at head size 32) rounds K and V,
 *   and on the CPU Q, to f16 in each block's attention; FlashAttentionTest bounds one attention alone by 6e-3.
 * A wrong modulation chunk, head split, RoPE pairing, token order or patch order gives errors of order 0.1 to 1.
 */
class FluxDitTest {
    private val ggml = Ggml.get()

    private fun check(guidance: Boolean, device: Device, attention: Attention, bound: Double, what: String) {
        TinyFluxWeights(seed = if (guidance) 21 else 22, guidance = guidance).use { model ->
            val rnd = Random(5)
            val x = Nd.random(rnd, 1.0, W, H, model.channels, 1)
            val context = Nd.random(rnd, 1.0, model.contextWidth, TEXT, 1)
            val y = Nd.random(rnd, 1.0, model.vectorWidth, 1)
            val sigma = 0.7f
            val scale = 3.5f
            val w = model.weights.on(device)
            assertEquals(guidance, FluxDit.hasGuidance(w))
            val floats = mutableMapOf(
                FluxDit.X to x, FluxDit.CONTEXT to context, FluxDit.Y to y,
                FluxDit.T to Nd.of(floatArrayOf(sigma), 1),
                FluxDit.PE to Nd.of(FluxDit.ropeTable(w, W.toLong(), H.toLong(), TEXT.toLong()), model.headDim / 2, TEXT + W * H / 4, 2),
            )
            if (guidance) floats[FluxDit.GUIDANCE] = Nd.of(floatArrayOf(scale), 1)
            var inputs: Set<String> = emptySet()
            var fused = false
            val out = model.weights.run(device, floats, attention = attention) { g ->
                FluxDit.build(g, w, W.toLong(), H.toLong(), TEXT.toLong()).also { out ->
                    assertEquals(listOf(W.toLong(), H.toLong(), model.channels.toLong(), 1L), out.shape().toList())
                    inputs = g.nn.ctx.tensors().map { it.name() }.filter { it in FluxDit.INPUT_NAMES }.toSet()
                    fused = g.nn.ctx.tensors().none { it.opName() == "SOFT_MAX" }
                }
            }
            assertEquals(floats.keys, inputs, "graph inputs")
            assertEquals(attention is FlashAttention, fused, "flash attention built fused (ggml 0.25.1 runs head size 32 on the CPU and Vulkan)")
            val expected = FluxReference64.model(model.weights.reference, x, sigma.toDouble(), context, y,
                if (guidance) scale.toDouble() else null, FluxRope.axes(model.headDim))
            assertClose(out, expected, bound, what)
        }
    }

    @Test
    fun `dev-like model with guidance on the cpu`() = check(true, ggml.cpu(), NaiveAttention, MODEL, "flux dit with guidance (cpu)")

    @Test
    fun `schnell-like model without guidance on the cpu`() = check(false, ggml.cpu(), NaiveAttention, MODEL, "flux dit without guidance (cpu)")

    @Test
    fun `dev-like model on vulkan`() = vulkanOrSkip().let { check(true, it, NaiveAttention, VULKAN, "flux dit with guidance (${it.name()})") }

    @Test
    fun `flash attention on the cpu`() = check(true, ggml.cpu(), FlashAttention(ggml.cpu()), FLASH, "flux dit, flash attention (cpu)")

    @Test
    fun `flash attention on vulkan`() = vulkanOrSkip().let { check(true, it, FlashAttention(it), FLASH, "flux dit, flash attention (${it.name()})") }

    @Test
    fun `guidance is required exactly when the model embeds it`() {
        TinyFluxWeights(seed = 23, guidance = false).use { model ->
            val e = assertThrows(IllegalArgumentException::class.java) {
                model.weights.run(ggml.cpu()) { g ->
                    val ctx = g.nn.ctx
                    val dit = FluxDitGraph(g.nn, BflFluxLayout(model.weights.on(), ctx))
                    dit.vector(g.input("t", dev.sdj.ggml.GgmlType.F32, 1), g.input("y", dev.sdj.ggml.GgmlType.F32, model.vectorWidth.toLong(), 1),
                        g.input("g", dev.sdj.ggml.GgmlType.F32, 1))
                }
            }
            assertTrue(e.message!!.contains("no guidance"), e.message)
        }
    }

    private companion object {
        const val W = 6
        const val H = 4
        const val TEXT = 5
        const val MODEL = 1e-3
        const val VULKAN = 2e-3
        const val FLASH = 3e-3
    }
}
