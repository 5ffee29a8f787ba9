package dev.sdj.core.family.sdxl

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.sd.SdUnet
import dev.sdj.core.family.sd.UnetReference64
import dev.sdj.core.family.sd.UnetReference64.resBlock
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * The UNet with SDXL's structure on a random tiny model against a float64 reference written from LDM's
 * openaimodel.py (UNetModel with adm_in_channels, SpatialTransformer with use_linear, BasicTransformerBlock):
 * levels of 64 channels without attention and 128 channels whose transformers are two blocks deep (SDXL: 320 without,
 * 640 with depth 2, 1280 with depth 10), linear projections, heads of 64 channels (two here), the middle block's
 * transformer also two deep, and the label embedding adding y's MLP to the time embedding. One residual block per
 * level; latents 8×6 (not square) in batches of two, 5 context tokens of width 48, y of width 40.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds sit a few times above what these seeds give on x86-64 (in brackets):
 * - [EMBEDDING] 2e-5 [4.1e-6]: f32 throughout (ggml forms t·f in f32).
 * - [UNET] 1e-3 [2.2e-4]: every 3×3 convolution rounds its im2col columns and kernel to f16 (≈ 4.9e-4 relative
 *   each), through eight residual blocks with fan-in scaled weights.
 * - [VULKAN_UNET] 5e-3 [1.4e-3 on lavapipe]: the same roundings, and lavapipe's f16 products lose more.
 * Tried against the reference: leaving out the label embedding gives 0.59, transformers one block deep 0.62, one
 * head instead of two 0.42.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SdxlUnetTest {
    private val w = RandomWeights(21).also(::tinySdxlUnet)
    private val ref: Weights64 by lazy { w.reference }
    private val unet = SdUnet.SD2

    @AfterAll
    fun close() = w.close()

    private val x = Nd.random(Random(1), 1.0, 8, 6, 4, 2)
    private val t = doubleArrayOf(17.0, 901.0)
    private val context = Nd.random(Random(2), 1.0, 48, 5, 2)
    private val y = Nd.random(Random(3), 1.0, 40, 2)

    private fun runUnet(device: Device): FloatArray {
        val weights = w.on(device)
        return w.run(device, mapOf("x" to x, "t" to Nd.of(FloatArray(2) { t[it].toFloat() }, 2), "context" to context, "y" to y)) { g ->
            unet.build(g.nn, weights, g.input("x", GgmlType.F32, 8, 6, 4, 2), g.input("t", GgmlType.F32, 2),
                g.input("context", GgmlType.F32, 48, 5, 2), g.input("y", GgmlType.F32, 40, 2))
        }
    }

    @Test
    fun `time embedding plus the label embedding of y`() {
        val weights = w.on(w.cpu)
        val out = w.run(w.cpu, mapOf("t" to Nd.of(FloatArray(2) { t[it].toFloat() }, 2), "y" to y)) { g ->
            unet.embedding(g.nn, weights, g.input("t", GgmlType.F32, 2), g.input("y", GgmlType.F32, 40, 2))
        }
        assertClose(out, embedding(), EMBEDDING, "SDXL time + label embedding (cpu)")
    }

    @Test
    fun `whole UNet with label embedding and transformers two deep`() {
        assertClose(runUnet(w.cpu), unet(), UNET, "tiny SDXL UNet (cpu)")
    }

    @Test
    fun `whole UNet on Vulkan`() {
        assertClose(runUnet(w.vulkan()), unet(), VULKAN_UNET, "tiny SDXL UNet (vulkan)")
    }

    /** A UNet with a label embedding cannot run without y, nor one without it with y: either would be silently wrong. */
    @Test
    fun `y is required exactly when the weights have a label embedding`() {
        val weights = w.on(w.cpu)
        assertThrows(IllegalArgumentException::class.java) {
            w.run(w.cpu, mapOf("t" to Nd.of(floatArrayOf(1f), 1))) { g -> unet.embedding(g.nn, weights, g.input("t", GgmlType.F32, 1), null) }
        }
    }

    // ---------------- the reference, after LDM's UNetModel.forward ----------------

    private fun embedding(): Nd {
        val temb = R.linear(R.silu(R.linear(R.timestepEmbedding(t, 64), ref.at("time_embed.0"))), ref.at("time_embed.2"))
        return temb + R.linear(R.silu(R.linear(y, ref.at("label_emb.0.0"))), ref.at("label_emb.0.2"))
    }

    private fun unet(): Nd {
        val emb = embedding()
        var h = R.conv2d(x, ref.at("input_blocks.0.0"))
        val skips = arrayListOf(h)
        h = layer(ref.at("input_blocks.1"), h, emb); skips.add(h)
        h = R.conv2d(h, ref.at("input_blocks.2.0.op"), stride = 2, padding = 1); skips.add(h)
        h = layer(ref.at("input_blocks.3"), h, emb); skips.add(h)
        h = resBlock(ref.at("middle_block.0"), h, emb)
        h = transformer(ref.at("middle_block.1"), h)
        h = resBlock(ref.at("middle_block.2"), h, emb)
        for (o in 0..3) {
            h = layer(ref.at("output_blocks.$o"), R.concatChannels(h, skips.removeAt(skips.size - 1)), emb)
            if (o == 1) h = R.conv2d(R.upsampleNearest2(h), ref.at("output_blocks.1.2.conv"))
        }
        return R.conv2d(R.silu(R.groupNorm(h, ref.at("out.0"), eps = 1e-5)), ref.at("out.2"))
    }

    private fun layer(w: Weights64, x: Nd, emb: Nd): Nd {
        val h = resBlock(w.at("0"), x, emb)
        return if (w.has("1.norm.weight")) transformer(w.at("1"), h) else h
    }

    /** use_linear: GroupNorm (eps 1e-6), tokens, Linear proj_in, the blocks, Linear proj_out, back to pixels, + x. */
    private fun transformer(w: Weights64, x: Nd): Nd {
        var h = R.linear(R.imageToTokens(R.groupNorm(x, w.at("norm"), eps = 1e-6)), w.at("proj_in"))
        var j = 0
        while (w.has("transformer_blocks.$j.norm1.weight")) h = UnetReference64.transformerBlock(w.at("transformer_blocks.${j++}"), h, context, x.ne(2) / 64)
        return R.tokensToImage(R.linear(h, w.at("proj_out")), x.ne(0), x.ne(1)) + x
    }

    private companion object {
        const val EMBEDDING = 2e-5
        const val UNET = 1e-3
        const val VULKAN_UNET = 5e-3

        /** The tiny SDXL-structured UNet: 4 → 64 → (down) 128 channels, y of 40, context of 48, embedding 256. */
        fun tinySdxlUnet(w: RandomWeights) {
            w.add("time_embed.0.weight", 64, 256).add("time_embed.0.bias", 256)
            w.add("time_embed.2.weight", 256, 256).add("time_embed.2.bias", 256)
            w.add("label_emb.0.0.weight", 40, 256).add("label_emb.0.0.bias", 256)
            w.add("label_emb.0.2.weight", 256, 256).add("label_emb.0.2.bias", 256)
            conv(w, "input_blocks.0.0", 4, 64, 3)
            res(w, "input_blocks.1.0", 64, 64)
            conv(w, "input_blocks.2.0.op", 64, 64, 3)
            res(w, "input_blocks.3.0", 64, 128)
            transformer(w, "input_blocks.3.1", 128)
            res(w, "middle_block.0", 128, 128)
            transformer(w, "middle_block.1", 128)
            res(w, "middle_block.2", 128, 128)
            res(w, "output_blocks.0.0", 256, 128)
            transformer(w, "output_blocks.0.1", 128)
            res(w, "output_blocks.1.0", 192, 128)
            transformer(w, "output_blocks.1.1", 128)
            conv(w, "output_blocks.1.2.conv", 128, 128, 3)
            res(w, "output_blocks.2.0", 192, 64)
            res(w, "output_blocks.3.0", 128, 64)
            norm(w, "out.0", 64)
            conv(w, "out.2", 64, 4, 3)
        }

        private fun conv(w: RandomWeights, name: String, cin: Int, cout: Int, k: Int) {
            w.add("$name.weight", k, k, cin, cout).add("$name.bias", cout)
        }

        private fun norm(w: RandomWeights, name: String, c: Int) {
            w.set("$name.weight", Nd.random(Random(name.hashCode().toLong()), 0.1, c).map { 1 + it }).add("$name.bias", c)
        }

        private fun linear(w: RandomWeights, name: String, inF: Int, outF: Int, bias: Boolean = true) {
            w.add("$name.weight", inF, outF)
            if (bias) w.add("$name.bias", outF)
        }

        private fun res(w: RandomWeights, name: String, cin: Int, cout: Int) {
            norm(w, "$name.in_layers.0", cin)
            conv(w, "$name.in_layers.2", cin, cout, 3)
            linear(w, "$name.emb_layers.1", 256, cout)
            norm(w, "$name.out_layers.0", cout)
            conv(w, "$name.out_layers.3", cout, cout, 3)
            if (cin != cout) conv(w, "$name.skip_connection", cin, cout, 1)
        }

        private fun transformer(w: RandomWeights, name: String, c: Int) {
            norm(w, "$name.norm", c)
            linear(w, "$name.proj_in", c, c)
            for (j in 0..1) {
                val b = "$name.transformer_blocks.$j"
                for (n in 1..3) norm(w, "$b.norm$n", c)
                for (p in listOf("to_q", "to_k", "to_v")) linear(w, "$b.attn1.$p", c, c, bias = false)
                linear(w, "$b.attn1.to_out.0", c, c)
                linear(w, "$b.attn2.to_q", c, c, bias = false)
                for (p in listOf("to_k", "to_v")) linear(w, "$b.attn2.$p", 48, c, bias = false)
                linear(w, "$b.attn2.to_out.0", c, c)
                linear(w, "$b.ff.net.0.proj", c, 8 * c)
                linear(w, "$b.ff.net.2", 4 * c, c)
            }
            linear(w, "$name.proj_out", c, c)
        }
    }
}
