package dev.sdj.core.family.flux

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.sd.SdVaeEncoder
import dev.sdj.core.family.sd.VaeReference64
import dev.sdj.core.family.sd.VaeReference64.attnBlock
import dev.sdj.core.family.sd.VaeReference64.resBlock
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.core.image.LatentTiling
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * Flux's VAE decoder on a random tiny decoder shaped like ae.safetensors — 16 latent channels straight into conv_in
 * (no post_quant_conv), 32 base channels: conv_in 16 → 64, a middle block with attention, level 1 (64, ×2 upsample)
 * and level 0 (64 → 32 through a 1×1 shortcut), norm_out, conv_out 32 → 3 — against a float64 reference written from
 * LDM's autoencoder (model.py Decoder). Kernels are stored in f16 as converted checkpoints store them; latents are
 * 4×3 in batches of two, so width/height and batch mix-ups show.
 *
 * Errors are max|ggml − ref| / max|ref|; the bound sits a few times above what these seeds give on x86-64 (in brackets):
 * - [CONV] 2e-3 [4.7e-4 cpu, 3.7e-4 lavapipe]: ggml_conv_2d rounds the im2col matrix to f16 (2⁻¹¹ ≈ 4.9e-4 relative) before sums of up to 576
 *   products, through six convolutions in sequence; the weights are the reference's exactly (f16-representable).
 *   Decoding as if a post_quant_conv were there, or dropping the attention, changes the output by its own size.
 * - [F32_CPU] 1e-5 [2.0e-7]: with f32 kernels (ae.safetensors' type) im2col stays f32 and only float32 sums differ.
 *   On Vulkan the same decoder is held to [CONV] [7.2e-4 lavapipe]: ggml-vulkan rounds below f32 somewhere in an
 *   all-f32 convolution (see Nn.withConvInputScale).
 * The encoder (f32 kernels, ae.safetensors' structure at this size: conv_in 3 → 32, two levels, the middle block with
 * attention, conv_out to 16 means + 16 log-variances, no quant_conv) against LDM's Encoder in float64: [F32_CPU] on the
 * CPU [level 1.5e-7, whole 4.5e-7, four tiles 4.7e-7], [LAVAPIPE_ENCODER] 1e-2 on lavapipe [1.2e-3].
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxVaeTest {
    private val w = RandomWeights(47).also { tinyFluxVae(it, GgmlType.F16) }
    private val ref: Weights64 by lazy { w.reference }

    /** The same decoder with f32 kernels, as Black Forest Labs' ae.safetensors stores them, and the encoder beside it. */
    private val w32 = RandomWeights(47).also { tinyFluxVae(it, GgmlType.F32); tinyFluxEncoder(it) }

    @AfterAll
    fun close() {
        w.close()
        w32.close()
    }

    /** The sampler's latent of N(0, 1) values, mapped as the pipeline maps it. */
    private val latent = Nd.random(Random(5), 1.0, 4, 3, 16, 2)
    private val z = Nd.of(FluxVae.decoderInput(latent.toFloats()), 4, 3, 16, 2)

    private fun decode(device: Device, weights: RandomWeights = w): FloatArray {
        val on = weights.on(device)
        return weights.run(device, mapOf("z" to z)) { g -> FluxVae.build(g.nn, on, g.input("z", GgmlType.F32, 4, 3, 16, 2)) }
    }

    @Test
    fun `a 16-channel decoder without post_quant_conv decodes as LDM's`() {
        assertClose(decode(w.cpu), decoder(), CONV, "tiny Flux VAE decoder (cpu)")
    }

    @Test
    fun `a 16-channel decoder without post_quant_conv decodes as LDM's on Vulkan`() {
        assertClose(decode(w.vulkan()), decoder(), CONV, "tiny Flux VAE decoder (vulkan)")
    }

    @Test
    fun `f32 kernels decode as LDM's to float precision on the CPU`() {
        assertClose(decode(w32.cpu, w32), decoder(w32.reference), F32_CPU, "tiny Flux VAE decoder, f32 kernels (cpu)")
    }

    @Test
    fun `f32 kernels decode as LDM's on Vulkan`() {
        assertClose(decode(w32.vulkan(), w32), decoder(w32.reference), CONV, "tiny Flux VAE decoder, f32 kernels (vulkan)")
    }

    @Test
    fun `the decoder graph takes one 16-channel tile`() {
        val weights = w.on(w.cpu)
        val one = Nd.of(z.toFloats().copyOf(4 * 3 * 16), 4, 3, 16)
        val out = w.run(w.cpu, mapOf(FluxVae.INPUT to one)) { g -> FluxVae.decoderGraph(weights, 4, 3)(g) }
        assertEquals(8 * 6 * 3, out.size, "the tiny decoder upsamples once: 4×3 → 8×6, three colours")
        assertArrayEquals(decode(w.cpu).copyOf(out.size), out, 1e-6f)
    }

    @Test
    fun `latents map as sd_cpp maps Flux latents`() {
        // latent / 0.3611 + 0.1159: 0.3611 → 1.1159, −0.7222 → −1.8841, 0 → 0.1159
        assertArrayEquals(floatArrayOf(1.1159f, -1.8841f, 0.1159f), FluxVae.decoderInput(floatArrayOf(0.3611f, -0.7222f, 0f)), 1e-6f)
    }

    @Test
    fun `a 4-channel latent is refused`() {
        val weights = w.on(w.cpu)
        assertThrows(IllegalArgumentException::class.java) {
            w.run(w.cpu, mapOf("z" to Nd.random(Random(1), 1.0, 4, 3, 4, 1))) { g -> FluxVae.build(g.nn, weights, g.input("z", GgmlType.F32, 4, 3, 4, 1)) }
        }
    }

    // ---------------- the encoder ----------------

    private fun encode(device: Device, image: Nd): FloatArray {
        val on = w32.on(device)
        return w32.run(device, mapOf(FluxVae.IMAGE to image)) { g -> FluxVae.encoderGraph(on, image.ne(0).toLong(), image.ne(1).toLong())(g) }
    }

    @Test
    fun `an encoder level downsamples as LDM's`() {
        val x = Nd.random(Random(6), 1.0, 16, 8, 32, 2)
        val on = w32.on(w32.cpu)
        val out = w32.run(w32.cpu, mapOf("x" to x)) { g ->
            SdVaeEncoder.downLevel(g.nn, on.at("encoder.down.0"), g.input("x", GgmlType.F32, 16, 8, 32, 2))
        }
        assertClose(out, VaeReference64.downLevel(w32.reference.at("encoder.down.0"), x), F32_CPU, "tiny Flux VAE encoder level 0 (cpu)")
    }

    /** A 16×8 image to 32 moment channels at 8×4 (the tiny encoder downsamples once); batch of one, as the pipeline encodes. */
    private val image = Nd.random(Random(7), 0.5, 16, 8, 3, 1)

    @Test
    fun `a 16-channel encoder without quant_conv encodes as LDM's`() {
        val out = encode(w32.cpu, image)
        assertEquals(8 * 4 * 32, out.size, "16 means and 16 log-variances per latent cell")
        assertClose(out, VaeReference64.encoder(w32.reference, image), F32_CPU, "tiny Flux VAE encoder (cpu)")
    }

    @Test
    fun `a 16-channel encoder without quant_conv encodes as LDM's on Vulkan`() {
        assertClose(encode(w32.vulkan(), image), VaeReference64.encoder(w32.reference, image), LAVAPIPE_ENCODER, "tiny Flux VAE encoder (vulkan)")
    }

    /**
     * Encoding in tiles is each tile encoded alone and the moments cross-faded where tiles overlap: against the same
     * tiling of the float64 encoder. The whole encode differs from it by far more than the bound (the mid attention
     * and the group norms see only their tile), so a tile cut from the wrong place, or not cross-faded, fails.
     */
    @Test
    fun `encoder tiles are the float64 tiles cross-faded`() {
        val wide = Nd.random(Random(8), 0.5, 48, 16, 3, 1)
        val tiling = LatentTiling(8, 2)
        val tiled = tiling.encode(wide.toFloats(), 24, 8, 3, 2, 32) { tile -> encode(w32.cpu, Nd.of(tile, 16, 16, 3, 1)) }
        val reference = tiling.encode(wide.toFloats(), 24, 8, 3, 2, 32) { tile ->
            VaeReference64.encoder(w32.reference, Nd.of(tile, 16, 16, 3, 1)).toFloats()
        }
        assertClose(tiled, Nd.of(reference, 24, 8, 32, 1), F32_CPU, "tiny Flux VAE encoder, 4 tiles of 16×16 pixels (cpu)")
        val whole = VaeReference64.encoder(w32.reference, wide)
        val apart = R.relativeError(reference, whole)
        println("tiled vs whole tiny Flux encode (float64, random weights): $apart")
        assertTrue(apart > 100 * F32_CPU, "tiles differ from the whole encode by $apart")
    }

    // ---------------- the reference, after LDM's Decoder ----------------

    private fun decoder(ref: Weights64 = this.ref): Nd {
        var h = R.conv2d(z, ref.at("decoder.conv_in"))
        h = resBlock(ref.at("decoder.mid.block_1"), h)
        h = attnBlock(ref.at("decoder.mid.attn_1"), h)
        h = resBlock(ref.at("decoder.mid.block_2"), h)
        h = R.conv2d(R.upsampleNearest2(resBlock(ref.at("decoder.up.1.block.0"), h)), ref.at("decoder.up.1.upsample.conv"))
        h = resBlock(ref.at("decoder.up.0.block.0"), h)
        return R.conv2d(R.silu(R.groupNorm(h, ref.at("decoder.norm_out"), eps = 1e-6)), ref.at("decoder.conv_out"))
    }

    private companion object {
        const val CONV = 2e-3
        const val F32_CPU = 1e-5

        /** The encoder on lavapipe, as SD's (VaeEncoderTest): f16-rounded im2col and kernels through its convolutions. */
        const val LAVAPIPE_ENCODER = 1e-2

        fun tinyFluxVae(w: RandomWeights, kernels: GgmlType) {
            fun conv(name: String, cin: Int, cout: Int, k: Int) = conv(w, name, cin, cout, k, kernels)
            fun res(name: String, cin: Int, cout: Int) = res(w, name, cin, cout, kernels)
            conv("decoder.conv_in", 16, 64, 3)
            res("decoder.mid.block_1", 64, 64)
            norm(w, "decoder.mid.attn_1.norm", 64)
            for (p in listOf("q", "k", "v", "proj_out")) conv("decoder.mid.attn_1.$p", 64, 64, 1)
            res("decoder.mid.block_2", 64, 64)
            res("decoder.up.1.block.0", 64, 64)
            conv("decoder.up.1.upsample.conv", 64, 64, 3)
            res("decoder.up.0.block.0", 64, 32)
            norm(w, "decoder.norm_out", 32)
            conv("decoder.conv_out", 32, 3, 3)
        }

        /**
         * ae.safetensors' encoder at the decoder's size: conv_in 3 → 32, level 0 (32, stride-2 downsampling), level 1
         * (32 → 64 through a 1×1 shortcut), the middle block with attention, norm_out, conv_out 64 → 32 moments; no quant_conv.
         */
        fun tinyFluxEncoder(w: RandomWeights) {
            val f32 = GgmlType.F32
            conv(w, "encoder.conv_in", 3, 32, 3, f32)
            res(w, "encoder.down.0.block.0", 32, 32, f32)
            conv(w, "encoder.down.0.downsample.conv", 32, 32, 3, f32)
            res(w, "encoder.down.1.block.0", 32, 64, f32)
            res(w, "encoder.mid.block_1", 64, 64, f32)
            norm(w, "encoder.mid.attn_1.norm", 64)
            for (p in listOf("q", "k", "v", "proj_out")) conv(w, "encoder.mid.attn_1.$p", 64, 64, 1, f32)
            res(w, "encoder.mid.block_2", 64, 64, f32)
            norm(w, "encoder.norm_out", 64)
            conv(w, "encoder.conv_out", 64, 32, 3, f32)
        }

        private fun conv(w: RandomWeights, name: String, cin: Int, cout: Int, k: Int, kernels: GgmlType) {
            w.add("$name.weight", k, k, cin, cout, type = kernels).add("$name.bias", cout)
        }

        private fun norm(w: RandomWeights, name: String, c: Int) {
            w.set("$name.weight", Nd.random(Random(name.hashCode().toLong()), 0.1, c).map { 1 + it }).add("$name.bias", c)
        }

        private fun res(w: RandomWeights, name: String, cin: Int, cout: Int, kernels: GgmlType) {
            norm(w, "$name.norm1", cin)
            conv(w, "$name.conv1", cin, cout, 3, kernels)
            norm(w, "$name.norm2", cout)
            conv(w, "$name.conv2", cout, cout, 3, kernels)
            if (cin != cout) conv(w, "$name.nin_shortcut", cin, cout, 1, kernels)
        }
    }
}
