package dev.sdj.core.family.flux

import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * The Flux DiT's pieces on the tiny model ([TinyFluxWeights]: width 64, two heads of 32, MLP 256, f32 weights) against
 * [FluxReference64]: the conditioning vector, modulation chunk order, one double block, one single block, the final
 * layer, patchify. Latent 6×4 (3×2 patches, not square, so a row/column mix-up shows) after 5 text tokens.
 *
 * Errors are max|ggml − ref| / max|ref|, bounds a few times the measured values (in brackets), set by the two places
 * where ggml rounds below f32 (measured alone against float64 on 64-wide rows: 2.9e-4 and 4.4e-4):
 * - [VECTOR] 1e-4 [2.3e-5]: f32 throughout, but ggml forms the sinusoid's arguments t·1000·f in f32, and for the
 *   guidance (3.5 → 3500 rad) that is off by up to ~3e-4 rad; the MLPs average it down.
 * - [MODULATION] 1e-6 [7.9e-8 … 1.0e-7]: LayerNorm, two small products and three element-wise ops, all f32.
 * - [BLOCK] 1e-3 [2.5e-4 … 2.6e-4] on the CPU: the MLPs' GELU, which ggml's CPU backend looks up in a table of its
 *   values at f16 inputs, feeds a residual branch the size of the stream (gates of order 1).
 * - [VULKAN_BLOCK] 2e-3 [2.4e-4 … 4.4e-4]: lavapipe's GELU is exact, but its f32 matrix products round an operand
 *   below f32 (4.4e-4 alone), in every projection and in attention.
 * A wrong modulation chunk, head split, RoPE pairing or token order changes a branch by its own size: errors of
 * order 0.1 to 1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxBlockTest {
    private val model = TinyFluxWeights(seed = 11)
    private val ref = model.weights.reference
    private val cfg = FluxReference64.Config(model.hidden, model.headDim, TEXT)
    private val angles = FluxReference64.ropeAngles(model.headDim, FluxRope.axes(model.headDim), W, H, TEXT)
    private val pe = Nd.of(FluxRope.table(model.headDim, W.toLong(), H.toLong(), TEXT.toLong()), model.headDim / 2, TOKENS, 2)
    private val vec = Nd.random(Random(3), 1.0, model.hidden, 1)

    @AfterAll
    fun close() = model.close()

    /** What a test graph is built from: the DiT, its layout over the weights on the device, and the inputs by name. */
    private class Scope(val dit: FluxDitGraph, val layout: FluxLayout, val ctx: GgmlContext, private val inputs: Map<String, Tensor>) {
        operator fun get(name: String): Tensor = inputs.getValue(name)
    }

    private fun run(device: Device, inputs: Map<String, Nd>, build: Scope.() -> Tensor): FloatArray =
        model.weights.run(device, inputs) { g: CompiledGraph.Builder ->
            val i = inputs.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) }
            val layout = BflFluxLayout(model.weights.on(device), g.nn.ctx)
            Scope(FluxDitGraph(g.nn, layout), layout, g.nn.ctx, i).build()
        }

    @Test
    fun `conditioning vector embeds sigma and guidance times 1000 and the pooled vector`() {
        val y = Nd.random(Random(4), 1.0, model.vectorWidth, 1)
        val inputs = mapOf("t" to Nd.of(floatArrayOf(0.7f), 1), "g" to Nd.of(floatArrayOf(3.5f), 1), "y" to y)
        val out = run(Ggml.get().cpu(), inputs) { dit.vector(this["t"], this["y"], this["g"]) }
        assertClose(out, FluxReference64.vector(ref, 0.7f.toDouble(), y, 3.5), VECTOR, "flux vector t=0.7 g=3.5 (cpu)")
    }

    /** The MLP's modulation is chunks 3 and 4 of img_mod.lin: shift first, then scale. */
    @Test
    fun `modulation takes shift then scale from the fused chunks`() {
        val x = Nd.random(Random(5), 1.0, model.hidden, TOKENS - TEXT, 1)
        val out = run(Ggml.get().cpu(), mapOf("x" to x, "vec" to vec)) {
            dit.modulate(ctx.norm(this["x"], 1e-6f), layout.doubleBlock(0).image.mlpModulation, ctx.silu(this["vec"]))
        }
        val c = R.silu(vec)
        val lin = ref.at("double_blocks.0.img_mod.lin")
        val expected = FluxReference64.modulate(FluxReference64.layerNorm(x),
            R.linear(c, FluxReference64.chunk(lin, 3, 6)), R.linear(c, FluxReference64.chunk(lin, 4, 6)))
        assertClose(out, expected, MODULATION, "flux modulation (mlp chunks of img_mod) (cpu)")
    }

    private fun doubleBlock(device: Device, bound: Double) {
        val img = Nd.random(Random(6), 1.0, model.hidden, TOKENS - TEXT, 1)
        val txt = Nd.random(Random(7), 1.0, model.hidden, TEXT, 1)
        val inputs = mapOf("joint" to FluxReference64.catTokens(txt, img), "vec" to vec, "pe" to pe)
        val out = run(device, inputs) {
            dit.doubleBlock(layout.doubleBlock(1), this["joint"], TEXT.toLong(), ctx.silu(this["vec"]), this["pe"])
        }
        val (a, b) = FluxReference64.doubleBlock(ref.at("double_blocks.1"), img, txt, vec, angles, cfg)
        assertClose(out, FluxReference64.catTokens(b, a), bound, "flux double block (${device.name()})")
    }

    @Test
    fun `double block on the cpu`() = doubleBlock(Ggml.get().cpu(), BLOCK)

    @Test
    fun `double block on vulkan`() = doubleBlock(vulkanOrSkip(), VULKAN_BLOCK)

    private fun singleBlock(device: Device, bound: Double) {
        val x = Nd.random(Random(8), 1.0, model.hidden, TOKENS, 1)
        val out = run(device, mapOf("x" to x, "vec" to vec, "pe" to pe)) {
            dit.singleBlock(layout.singleBlock(1), this["x"], ctx.silu(this["vec"]), this["pe"])
        }
        assertClose(out, FluxReference64.singleBlock(ref.at("single_blocks.1"), x, vec, angles, cfg), bound, "flux single block (${device.name()})")
    }

    @Test
    fun `single block on the cpu`() = singleBlock(Ggml.get().cpu(), BLOCK)

    @Test
    fun `single block on vulkan`() = singleBlock(vulkanOrSkip(), VULKAN_BLOCK)

    /**
     * GGUF checkpoints store the blocks' matrices quantized, so the fused q/k/v, modulation and linear1 rows are views
     * into quantized rows. The reference reads the dequantized weights, so the error is the activations' rounding:
     * the CPU quantizes each product's input to q8_0 too (steps of 1/127 of each 32-value block's largest value, ~0.6%
     * of a Gaussian activation), so [QUANTIZED_CPU] 5e-2 [1.8e-2]; lavapipe rounds them to f16, eight times finer,
     * so [QUANTIZED_VULKAN] 1e-2 [1.6e-3]. A row view at the wrong offset gives errors of order 1.
     */
    @Test
    fun `blocks with q8_0 matrices read their fused rows through views`() {
        TinyFluxWeights(seed = 12, blockType = GgmlType.Q8_0).use { q8 ->
            val img = Nd.random(Random(6), 1.0, q8.hidden, TOKENS - TEXT, 1)
            val txt = Nd.random(Random(7), 1.0, q8.hidden, TEXT, 1)
            val joint = FluxReference64.catTokens(txt, img)
            val expected = FluxReference64.singleBlock(q8.weights.reference.at("single_blocks.0"),
                FluxReference64.doubleBlock(q8.weights.reference.at("double_blocks.0"), img, txt, vec, angles, cfg).let { (a, b) -> FluxReference64.catTokens(b, a) },
                vec, angles, cfg)
            for ((device, bound) in listOfNotNull(Ggml.get().cpu() to QUANTIZED_CPU, vulkanIfPresent()?.let { it to QUANTIZED_VULKAN })) {
                val inputs = mapOf("joint" to joint, "vec" to vec, "pe" to pe)
                val out = q8.weights.run(device, inputs) { g ->
                    val i = inputs.mapValues { (name, nd) -> g.input(name, GgmlType.F32, *nd.ne.map { it.toLong() }.toLongArray()) }
                    val layout = BflFluxLayout(q8.weights.on(device), g.nn.ctx)
                    val dit = FluxDitGraph(g.nn, layout)
                    val c = g.nn.ctx.silu(i.getValue("vec"))
                    dit.singleBlock(layout.singleBlock(0), dit.doubleBlock(layout.doubleBlock(0), i.getValue("joint"), TEXT.toLong(), c, i.getValue("pe")), c, i.getValue("pe"))
                }
                assertClose(out, expected, bound, "flux double + single block, q8_0 (${device.name()})")
            }
        }
    }

    @Test
    fun `final layer takes shift then scale`() {
        val img = Nd.random(Random(9), 1.0, model.hidden, TOKENS - TEXT, 1)
        val out = run(Ggml.get().cpu(), mapOf("img" to img, "vec" to vec)) {
            dit.finalLayer(layout.finalLayer(), this["img"], ctx.silu(this["vec"]))
        }
        assertClose(out, FluxReference64.finalLayer(ref.at("final_layer"), img, vec), MODULATION, "flux final layer (cpu)")
    }

    /** Patchify is a permutation, so exact; unpatchify of it gives the latent back. */
    @Test
    fun `patchify orders features c ph pw and tokens row by row`() {
        val x = Nd.random(Random(10), 1.0, W, H, model.channels, 1)
        val tokens = run(Ggml.get().cpu(), mapOf("x" to x)) { dit.patchify(this["x"]) }
        assertClose(tokens, FluxReference64.patchify(x), 0.0, "flux patchify (cpu)")
        val back = run(Ggml.get().cpu(), mapOf("x" to x)) { dit.unpatchify(dit.patchify(this["x"]), W.toLong(), H.toLong()) }
        assertClose(back, x, 0.0, "flux unpatchify ∘ patchify (cpu)")
    }

    private companion object {
        const val W = 6
        const val H = 4
        const val TEXT = 5
        const val TOKENS = TEXT + (W / 2) * (H / 2)
        const val VECTOR = 1e-4
        const val MODULATION = 1e-6
        const val BLOCK = 1e-3
        const val VULKAN_BLOCK = 2e-3
        const val QUANTIZED_CPU = 5e-2
        const val QUANTIZED_VULKAN = 1e-2
    }
}
