package dev.sdj.core.family.clip

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Test

/**
 * What SDXL reads from its text encoders, on a random OpenCLIP-bigG-style stack (GELU, 3 layers of width 128, so two
 * 64-wide heads; 9 tokens), against the float64 reference in [ClipReference64]: the penultimate layer's hidden
 * states without the final layer norm, and the pooled embedding — the last layer through the final layer norm at the
 * EOS position, projected — with the projection in either orientation and in f32, f16 and q8_0.
 *
 * Errors are max|ggml − ref| / max|ref| with the reference reading the weights as stored; bounds sit a few times above
 * what these seeds give on x86-64 (in brackets):
 * - [HIDDEN] 2e-3 [1.9e-4 cpu, 4.1e-4 lavapipe]: f32 except GELU, which ggml's CPU backend looks up in an f16
 *   table; the fan-in scaled weights make the MLP branch the size of the stream, so the table's rounding shows at
 *   ~1e-4. A wrong layer (one more or fewer) or a final norm that should not be there gives errors of order 1.
 * - [POOLED] 2e-3 [2.2e-4 … 3.4e-4 cpu, 4.2e-4 lavapipe]: the same, through the last layer, the norm and the projection. A transposed
 *   projection or the wrong token gives order 1.
 * - [QUANTIZED_LINEAR] 2e-2 [5.6e-3]: a q8_0 Linear is multiplied as ggml multiplies quantized weights, with the
 *   activations quantized to q8_0 too (steps of max/127 per 32 values); OpenCLIP's matrix, cast to f32 before it is
 *   transposed, is not.
 */
class ClipSdxlOutputsTest {
    private val ids = intArrayOf(49, 7, 23, 31, 5, 63, 0, 0, 0)        // "BOS … EOS" then bigG's zero padding: EOS (63) is the largest id

    private fun weights(openClip: Boolean, type: GgmlType) =
        ClipReference64.weights(RandomWeights(11), hidden = 128, layers = 3, vocab = 64, positions = 9, projection = 96,
            openClipProjection = openClip, projectionType = type)

    /** Hidden states [128 × 9] then the pooled embedding [96], from one graph as the SDXL conditioner builds it. */
    private fun run(w: RandomWeights, device: Device, pooled: Boolean): FloatArray {
        val weights = w.on(device)
        val out = w.run(device, ints = mapOf("tokens" to ids, "eos" to intArrayOf(5))) { g ->
            val out = ClipTextEncoder(quickGelu = false).buildWithPooled(g.nn, weights.at("text_model"), weights,
                g.input("tokens", GgmlType.I32, 9, 1), g.input("eos", GgmlType.I32, 1), clipSkip = 2, finalLayerNorm = false)
            val ctx = g.nn.ctx
            ctx.concat(ctx.reshape(out.hidden, out.hidden.elementCount()), ctx.reshape(out.pooled, out.pooled.elementCount()), 0)
        }
        return if (pooled) out.copyOfRange(128 * 9, out.size) else out.copyOfRange(0, 128 * 9)
    }

    private fun expectedHidden(w: RandomWeights): Nd = ClipReference64.layerOutputs(w.reference.at("text_model"), ids, quickGelu = false)[2]

    @Test
    fun `penultimate hidden states without the final layer norm`() {
        weights(openClip = true, GgmlType.F32).use { w ->
            assertClose(run(w, w.cpu, pooled = false), expectedHidden(w), HIDDEN, "bigG-style penultimate layer, no final norm (cpu)")
        }
    }

    /** SD 1.x/2.x keep normalising the layer they take; [ClipTextEncoder.build] does both. */
    @Test
    fun `hidden states with and without the final layer norm from build`() {
        weights(openClip = true, GgmlType.F32).use { w ->
            val weights = w.on(w.cpu).at("text_model")
            for (norm in listOf(true, false)) {
                val out = w.run(w.cpu, ints = mapOf("tokens" to ids)) { g ->
                    ClipTextEncoder(quickGelu = false).build(g.nn, weights, g.input("tokens", GgmlType.I32, 9, 1), clipSkip = 2, finalLayerNorm = norm)
                }
                val h = expectedHidden(w)
                val expected = if (norm) R.layerNorm(h, w.reference.at("text_model.final_layer_norm")) else h
                assertClose(out, expected, HIDDEN, "bigG-style build, clip skip 2, final norm $norm (cpu)")
            }
        }
    }

    @Test
    fun `pooled embedding with OpenCLIP's projection matrix in f32, f16 and q8_0`() {
        for (type in listOf(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0)) {
            weights(openClip = true, type).use { w ->
                assertClose(run(w, w.cpu, pooled = true), ClipReference64.pooled(w.reference, ids, quickGelu = false), POOLED,
                    "pooled, text_projection (x·P) ${type.ggmlName()} (cpu)")
            }
        }
    }

    @Test
    fun `pooled embedding with a Hugging Face projection Linear in f32, f16 and q8_0`() {
        for (type in listOf(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0)) {
            weights(openClip = false, type).use { w ->
                assertClose(run(w, w.cpu, pooled = true), ClipReference64.pooled(w.reference, ids, quickGelu = false),
                    if (type == GgmlType.Q8_0) QUANTIZED_LINEAR else POOLED, "pooled, text_projection.weight (W·x) ${type.ggmlName()} (cpu)")
            }
        }
    }

    @Test
    fun `hidden states and pooled embedding on Vulkan`() {
        for (type in listOf(GgmlType.F16, GgmlType.Q8_0)) {
            weights(openClip = true, type).use { w ->
                val vk = w.vulkan()
                assertClose(run(w, vk, pooled = false), expectedHidden(w), HIDDEN, "bigG-style penultimate layer (vulkan)")
                assertClose(run(w, vk, pooled = true), ClipReference64.pooled(w.reference, ids, quickGelu = false), POOLED,
                    "pooled, text_projection ${type.ggmlName()} (vulkan)")
            }
        }
    }

    private companion object {
        const val HIDDEN = 2e-3
        const val POOLED = 2e-3
        const val QUANTIZED_LINEAR = 2e-2
    }
}
