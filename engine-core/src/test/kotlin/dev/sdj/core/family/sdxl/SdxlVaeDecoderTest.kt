package dev.sdj.core.family.sdxl

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.sd.SdVaeDecoder
import dev.sdj.core.family.sd.VaeReference64.attnBlock
import dev.sdj.core.family.sd.VaeReference64.resBlock
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * SDXL's VAE decoder passes activations beyond f16's range through its convolutions. A random tiny decoder (4 → 64 channels, a middle block
 * with attention, two levels, 64 → 32 → 3; every kernel stored in f16 as checkpoints store them) decodes latents
 * whose residual stream runs to ~1e5, past f16's 65504: the stream enters conv_in, the upsampling convolution and
 * a 1×1 shortcut unnormalised. Compared with a float64 reference written from LDM's autoencoder (model.py).
 *
 * Errors are max|ggml − ref| / max|ref|; bounds sit a few times above what these seeds give on x86-64 (in brackets):
 * - [CONV] 2e-3 [4.4e-4 cpu and lavapipe]: im2col rounds the (1/32-scaled) activations to f16, 2⁻¹¹ ≈ 4.9e-4
 *   relative; the weights are the reference's exactly (f16-representable). An overflow gives infinities or NaN,
 *   which the comparison refuses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlVaeDecoderTest {
    private val w = RandomWeights(31).also(::tinyVae)
    private val ref: Weights64 by lazy { w.reference }

    @AfterAll
    fun close() = w.close()

    private val z = Nd.random(Random(1), 3e4, 4, 3, 4, 2)

    private fun decode(device: Device, sdxl: Boolean): FloatArray {
        val weights = w.on(device)
        return w.run(device, mapOf("z" to z)) { g ->
            val input = g.input("z", GgmlType.F32, 4, 3, 4, 2)
            if (sdxl) SdxlVaeDecoder.build(g.nn, weights, input) else SdVaeDecoder.build(g.nn, weights, input)
        }
    }

    @Test
    fun `activations beyond the f16 range survive the decoder`() {
        assertClose(decode(w.cpu, sdxl = true), decoder(), CONV, "tiny SDXL VAE decoder, stream ~1e5 (cpu)")
    }

    @Test
    fun `activations beyond the f16 range survive the decoder on Vulkan`() {
        assertClose(decode(w.vulkan(), sdxl = true), decoder(), CONV, "tiny SDXL VAE decoder, stream ~1e5 (vulkan)")
    }

    /** The reason for the above, and proof that its input reaches the range: SD's decoder, f16 im2col, overflows. */
    @Test
    fun `the same latents overflow through f16 convolution inputs`() {
        val out = decode(w.cpu, sdxl = false)
        assertTrue(out.any { !it.isFinite() }, "the SD decoder's f16 im2col should have overflowed on this input")
    }

    @Test
    fun `latent scale is SDXL's`() {
        assertEquals(0.13025f, SdxlVaeDecoder.LATENT_SCALE)
    }

    // ---------------- the reference, after LDM's Decoder ----------------

    private fun decoder(): Nd {
        var h = R.conv2d(R.conv2d(z, ref.at("post_quant_conv")), ref.at("decoder.conv_in"))
        h = resBlock(ref.at("decoder.mid.block_1"), h)
        h = attnBlock(ref.at("decoder.mid.attn_1"), h)
        h = resBlock(ref.at("decoder.mid.block_2"), h)
        h = R.conv2d(R.upsampleNearest2(resBlock(ref.at("decoder.up.1.block.0"), h)), ref.at("decoder.up.1.upsample.conv"))
        h = resBlock(ref.at("decoder.up.0.block.0"), h)
        return R.conv2d(R.silu(R.groupNorm(h, ref.at("decoder.norm_out"), eps = 1e-6)), ref.at("decoder.conv_out"))
    }

    private companion object {
        const val CONV = 2e-3

        fun tinyVae(w: RandomWeights) {
            conv(w, "post_quant_conv", 4, 4, 1)
            conv(w, "decoder.conv_in", 4, 64, 3)
            res(w, "decoder.mid.block_1", 64, 64)
            norm(w, "decoder.mid.attn_1.norm", 64)
            for (p in listOf("q", "k", "v", "proj_out")) conv(w, "decoder.mid.attn_1.$p", 64, 64, 1)
            res(w, "decoder.mid.block_2", 64, 64)
            res(w, "decoder.up.1.block.0", 64, 64)
            conv(w, "decoder.up.1.upsample.conv", 64, 64, 3)
            res(w, "decoder.up.0.block.0", 64, 32)
            norm(w, "decoder.norm_out", 32)
            conv(w, "decoder.conv_out", 32, 3, 3)
        }

        private fun conv(w: RandomWeights, name: String, cin: Int, cout: Int, k: Int) {
            w.add("$name.weight", k, k, cin, cout, type = GgmlType.F16).add("$name.bias", cout)
        }

        private fun norm(w: RandomWeights, name: String, c: Int) {
            w.set("$name.weight", Nd.random(Random(name.hashCode().toLong()), 0.1, c).map { 1 + it }).add("$name.bias", c)
        }

        private fun res(w: RandomWeights, name: String, cin: Int, cout: Int) {
            norm(w, "$name.norm1", cin)
            conv(w, "$name.conv1", cin, cout, 3)
            norm(w, "$name.norm2", cout)
            conv(w, "$name.conv2", cout, cout, 3)
            if (cin != cout) conv(w, "$name.nin_shortcut", cin, cout, 1)
        }
    }
}
