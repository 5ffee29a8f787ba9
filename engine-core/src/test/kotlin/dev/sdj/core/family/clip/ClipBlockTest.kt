package dev.sdj.core.family.clip

import dev.sdj.core.family.TinyF32Model
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Weights64
import dev.sdj.core.model.ComponentKind
import dev.sdj.ggml.Device
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path
import java.util.Random

/**
 * One CLIP text-encoder layer of the tiny SD1 model (hidden 32, MLP 128, f32 weights) against the float64 reference
 * written from Hugging Face's CLIPEncoderLayer: pre-norm causal self-attention with biased projections, then a
 * pre-norm MLP. Sequences are 9 tokens in batches of two.
 *
 * Errors are max|ggml − ref| / max|ref|; bounds sit a few times above what these seeds give (in brackets):
 * - [CPU] 2e-4 [3.3e-5, 3.6e-5]: f32 except the activation, which ggml's CPU backend looks up in an f16 table
 *   (input and output rounded to f16, ≈ 4.9e-4 relative each); it sits in the MLP branch, a few percent of the
 *   output with the tiny model's N(0, 0.05) weights. Tight so that a bug in a branch (head split, causal mask,
 *   activation) fails: it changes the branch by its own size, ~1e-2 of the output.
 * - [VULKAN] 2e-4 [3.5e-5 on lavapipe]: lavapipe multiplies these f32 weights in f32; a driver that rounds
 *   mul_mat operands to f16 adds ~1e-3 relative error to the branches only, ~2e-5 of the output, so the CPU
 *   bound holds. (Swapping GELU for quick GELU, the subtlest bug tried, gave 9.3e-4 here.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClipBlockTest {
    private lateinit var model: TinyF32Model
    private lateinit var ref: Weights64

    @BeforeAll
    fun load(@TempDir dir: Path) {
        model = TinyF32Model(dir)
        ref = model.reference(ComponentKind.TEXT_ENCODER)
    }

    @AfterAll
    fun close() = model.close()

    private fun runLayer(device: Device, x: Nd, quickGelu: Boolean, heads: Int): FloatArray =
        model.run(device, mapOf("x" to x)) { nn, i ->
            ClipTextEncoder(quickGelu).layer(nn, model.weights(ComponentKind.TEXT_ENCODER, device).at(LAYER), i.getValue("x"), heads)
        }

    /** The tiny encoder's own configuration: hidden 32 is narrower than a 64-wide head, so one head. */
    @Test
    fun `layer with quick GELU and one head`() {
        val x = Nd.random(Random(1), 1.0, 32, 9, 2)
        assertClose(runLayer(model.cpu, x, quickGelu = true, heads = 1), ClipReference64.layer(ref.at(LAYER), x, quickGelu = true, heads = 1),
            CPU, "CLIP layer, quick GELU, 1 head (cpu)")
    }

    /** Eight heads of 4 with the causal mask: the head split and the mask have to agree on every head. */
    @Test
    fun `layer with GELU and eight heads`() {
        val x = Nd.random(Random(2), 1.0, 32, 9, 2)
        assertClose(runLayer(model.cpu, x, quickGelu = false, heads = 8), ClipReference64.layer(ref.at(LAYER), x, quickGelu = false, heads = 8),
            CPU, "CLIP layer, GELU, 8 heads (cpu)")
    }

    @Test
    fun `layer on Vulkan`() {
        val x = Nd.random(Random(3), 1.0, 32, 9, 2)
        assertClose(runLayer(model.vulkan(), x, quickGelu = true, heads = 8), ClipReference64.layer(ref.at(LAYER), x, quickGelu = true, heads = 8),
            VULKAN, "CLIP layer, quick GELU, 8 heads (vulkan)")
    }

    private companion object {
        const val LAYER = "text_model.encoder.layers.1"
        const val CPU = 2e-4
        const val VULKAN = 2e-4
    }
}
