package dev.sdj.core.family.sd

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
 * The VAE encoder on the tiny SD1 model (32 base channels, f32 weights) against a float64 reference written from
 * LDM's Encoder (model.py: ResnetBlock, Downsample with asymmetric (0, 1, 0, 1) zero padding and a stride-2 3×3
 * convolution, the mid block, conv_out, then quant_conv giving means and log-variances). Images are 16×8 in batches
 * of two, so width/height and batch mix-ups show.
 *
 * Errors are max|ggml − ref| / max|ref|, bounds a few times above what these seeds give on x86-64 (in brackets):
 * - [CPU] 1e-5 [levels 1.0e-7 … 1.7e-7, whole encoder 1.2e-6]: with f32 weights the CPU convolves in f32 here.
 * - [LAVAPIPE] 1e-2 [3.1e-3]: lavapipe rounds im2col and kernels to f16 (2⁻¹¹ relative each) in about twenty
 *   chained convolutions.
 * A layout bug (a padding on the wrong side, swapped moments) gives errors of order 1.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VaeEncoderTest {
    private lateinit var model: TinyF32Model
    private lateinit var ref: Weights64

    @BeforeAll
    fun load(@TempDir dir: Path) {
        model = TinyF32Model(dir)
        ref = model.reference(ComponentKind.VAE)
    }

    @AfterAll
    fun close() = model.close()

    @Test
    fun `first level with its downsampling`() {
        val x = Nd.random(Random(1), 1.0, 16, 8, 32, 2)
        val out = model.run(model.cpu, mapOf("x" to x)) { nn, i -> SdVaeEncoder.downLevel(nn, model.weights(ComponentKind.VAE).at("encoder.down.0"), i.getValue("x")) }
        assertClose(out, VaeReference64.downLevel(ref.at("encoder.down.0"), x), CPU, "VAE encoder level 0, 16×8 → 8×4 (cpu)")
    }

    @Test
    fun `last level without downsampling`() {
        val x = Nd.random(Random(2), 1.0, 2, 1, 128, 2)
        val out = model.run(model.cpu, mapOf("x" to x)) { nn, i -> SdVaeEncoder.downLevel(nn, model.weights(ComponentKind.VAE).at("encoder.down.3"), i.getValue("x")) }
        assertClose(out, VaeReference64.downLevel(ref.at("encoder.down.3"), x), CPU, "VAE encoder level 3 (cpu)")
    }

    private fun wholeEncoder(device: Device, what: String, bound: Double) {
        val x = Nd.random(Random(3), 0.5, 16, 8, 3, 2)
        val out = model.run(device, mapOf("x" to x)) { nn, i -> SdVaeEncoder.build(nn, model.weights(ComponentKind.VAE, device), i.getValue("x")) }
        assertClose(out, VaeReference64.encoder(ref, x), bound, "VAE encoder moments, 16×8 → 2×1 ($what)")
    }

    @Test
    fun `whole encoder on the cpu`() = wholeEncoder(model.cpu, "cpu", CPU)

    @Test
    fun `whole encoder on lavapipe`() = wholeEncoder(model.vulkan(), "lavapipe", LAVAPIPE)

    /** SDXL's encoder scales every convolution's input by 1/32 and its product back: a power of two, so nothing changes beyond rounding. */
    @Test
    fun `whole encoder with SDXL's convolution scaling on the cpu`() {
        val x = Nd.random(Random(3), 0.5, 16, 8, 3, 2)
        val out = model.run(model.cpu, mapOf("x" to x)) { nn, i ->
            dev.sdj.core.family.sdxl.SdxlVaeDecoder.encode(nn, model.weights(ComponentKind.VAE), i.getValue("x"))
        }
        assertClose(out, VaeReference64.encoder(ref, x), CPU, "SDXL-scaled VAE encoder moments (cpu)")
    }

    private companion object {
        const val CPU = 1e-5
        const val LAVAPIPE = 1e-2
    }
}
