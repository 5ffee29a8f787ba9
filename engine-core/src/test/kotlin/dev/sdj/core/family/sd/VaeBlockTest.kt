package dev.sdj.core.family.sd

import dev.sdj.core.family.TinyF32Model
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.family.sd.VaeReference64.attnBlock
import dev.sdj.core.family.sd.VaeReference64.resBlock
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64
import dev.sdj.core.model.ComponentKind
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Random

/**
 * The VAE decoder's blocks on the tiny SD1 model (32 base channels, f32 weights) against the float64 reference
 * written from LDM's autoencoder (model.py: ResnetBlock, AttnBlock, Upsample; GroupNorm eps 1e-6 throughout). Images
 * are 8×6 in batches of two, so width/height and batch mix-ups show.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds sit a few times above what these seeds give on x86-64 (in brackets):
 * - [CONV] 2e-3 [1.8e-4 … 7.4e-4]: ggml_conv_2d rounds the im2col matrix and the kernel to f16 (2⁻¹¹ ≈ 4.9e-4
 *   relative each) before sums of up to 1152 products.
 * - [ATTENTION] 2e-4 [2.2e-5]: the same f16 rounding in the 1×1 projections, but only inside the residual branch,
 *   which with the tiny model's N(0, 0.05) weights is about 1% of the output; tight so that an attention bug,
 *   which changes the branch by its own size, fails.
 * A layout bug gives errors of order 1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaeBlockTest {
    private lateinit var model: TinyF32Model
    private lateinit var ref: Weights64

    @BeforeAll
    fun load(@TempDir dir: Path) {
        model = TinyF32Model(dir)
        ref = model.reference(ComponentKind.VAE)
    }

    @AfterAll
    fun close() = model.close()

    /** Runs [build] on the CPU with the decoder's weights over the image [x]. */
    private fun run(x: Nd, build: (Nn, Weights, Tensor) -> Tensor) =
        model.run(model.cpu, mapOf("x" to x)) { nn, i -> build(nn, model.weights(ComponentKind.VAE).at("decoder"), i.getValue("x")) }

    @Test
    fun `residual block with identity skip`() {
        val x = Nd.random(Random(1), 1.0, 8, 6, 32, 2)
        val out = run(x) { nn, w, h -> SdVaeDecoder.resBlock(nn, w.at("up.0.block.1"), h) }
        assertClose(out, resBlock(ref.at("decoder.up.0.block.1"), x), CONV, "VAE resblock 32→32 (cpu)")
    }

    @Test
    fun `residual block with a 1x1 shortcut convolution`() {
        val x = Nd.random(Random(2), 1.0, 8, 6, 64, 2)
        val out = run(x) { nn, w, h -> SdVaeDecoder.resBlock(nn, w.at("up.0.block.0"), h) }
        assertClose(out, resBlock(ref.at("decoder.up.0.block.0"), x), CONV, "VAE resblock 64→32 (cpu)")
    }

    @Test
    fun `attention block`() {
        val x = Nd.random(Random(3), 1.0, 8, 6, 128, 2)
        val out = run(x) { nn, w, h -> SdVaeDecoder.attnBlock(nn, w.at("mid.attn_1"), h) }
        assertClose(out, attnBlock(ref.at("decoder.mid.attn_1"), x), ATTENTION, "VAE attention block, 128 channels (cpu)")
    }

    /** Level 1 of the tiny decoder: 128 → 64 channels over three residual blocks, then nearest ×2 and a 3×3 convolution. */
    @Test
    fun `up level`() {
        val x = Nd.random(Random(4), 1.0, 4, 3, 128, 2)
        val out = run(x) { nn, w, h -> SdVaeDecoder.upLevel(nn, w.at("up.1"), h) }
        var h = x
        for (j in 0..2) h = resBlock(ref.at("decoder.up.1.block.$j"), h)
        val expected = R.conv2d(R.upsampleNearest2(h), ref.at("decoder.up.1.upsample.conv"))
        assertClose(out, expected, CONV, "VAE up level 1 → 8×6 (cpu)")
    }

    private companion object {
        const val CONV = 2e-3
        const val ATTENTION = 2e-4
    }
}
