package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * LTX-2.3's vocoder against [Ltx2VocoderReference64] on the CPU and on Vulkan (lavapipe in CI), f32 kernels so the
 * errors are ggml's arithmetic, not weight rounding. Errors are max|ggml − ref| / max|ref|; bounds a few times above
 * what these seeds give (in brackets).
 * - [BLOCK] 1e-5 on the CPU [anti-aliased activation 1.4e-7, transposed convolution 1.7e-7, AMP block 8.5e-8]; 2e-3 on
 *   lavapipe, whose f32 matrix products round their operands to f16 [1.6e-7 … 6.8e-4].
 * - [WHOLE] 1e-5 on the CPU [3.7e-7]; 5e-3 on lavapipe [5.8e-4]: 6 levels, 18 AMP blocks, 109 activations.
 * - [BF16] 1e-2 [2.1e-3]: bf16 kernels, which the CPU's product meets with im2col columns rounded to bf16.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2VocoderTest {
    private val tiny = Ltx2VocoderReference64.weights(31)
    private val dims = TinyLtx2Vocoder.TINY
    private val vocoder = Ltx2Vocoder(dims)
    private val g = Ltx2Vocoding.GENERATOR

    @AfterAll
    fun close() = tiny.close()

    private fun bound(device: Device, cpu: Double, vulkan: Double) = if (device == tiny.cpu) cpu else vulkan

    @Test
    fun `dimensions are read from the weights`() {
        assertEquals(dims, Ltx2VocoderDimensions.of(tiny.on().at(g)))
        assertEquals(160, dims.hop)
        assertEquals(160, Ltx2VocoderDimensions.LTX_2_3.hop)
        assertEquals(64L, Ltx2VocoderDimensions.LTX_2_3.melBins)
    }

    @Test
    fun `a convolution of the wrong width is refused by name`() {
        RandomWeights(3).use { w ->
            for (e in TinyLtx2Vocoder().entries) {
                val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
                if (e.name == "$g.resblocks.7.convs2.1.weight") ne[1] += 1
                w.add(e.name, *ne)
            }
            val e = assertThrows(IllegalArgumentException::class.java) { Ltx2VocoderDimensions.of(w.on().at(g)) }
            assertTrue("vocoder.resblocks.7.convs2.1.weight" in e.message!!, e.message)
        }
    }

    private fun taps(g: dev.sdj.core.graph.CompiledGraph.Builder) = g.input(Ltx2Vocoder.TAPS, GgmlType.I32, vocoder.upsampleTaps.size.toLong())

    private fun activation(device: Device, seed: Long) {
        val x = Nd.random(Random(seed), 1.0, 37, 8)
        val actual = tiny.run(device, mapOf("x" to x), mapOf(Ltx2Vocoder.TAPS to vocoder.upsampleTaps)) { b ->
            vocoder.antiAliased(b.nn.ctx, tiny.on(device).at("$g.resblocks.3.acts1.2"), b.input("x", GgmlType.F32, 37, 8), taps(b))
        }
        val expected = Ltx2VocoderReference64.antiAliased(x, tiny.reference.at("$g.resblocks.3.acts1.2"))
        assertClose(actual, expected, bound(device, BLOCK, BLOCK_VULKAN), "anti-aliased SnakeBeta, 37 samples × 8 (${device.name()})")
    }

    @Test
    fun `the anti-aliased SnakeBeta on the CPU`() = activation(tiny.cpu, 1)

    @Test
    fun `the anti-aliased SnakeBeta on Vulkan`() = activation(tiny.vulkan(), 2)

    private fun upsampling(device: Device, level: Ltx2VocoderLevel, seed: Long) {
        val x = Nd.random(Random(seed), 1.0, 9, level.inChannels.toInt())
        val actual = tiny.run(device, mapOf("x" to x)) { b ->
            vocoder.upsample(b.nn.ctx, tiny.on(device).at("$g.ups.${level.index}"), b.input("x", GgmlType.F32, 9, level.inChannels), level)
        }
        val expected = Ltx2VocoderReference64.upsample(x, tiny.reference.at("$g.ups.${level.index}"), level)
        assertEquals(listOf(9 * level.rate, level.channels.toInt()), expected.ne.toList())
        assertClose(actual, expected, bound(device, BLOCK, BLOCK_VULKAN), "transposed convolution ×${level.rate}, kernel ${level.kernel} (${device.name()})")
    }

    @Test
    fun `the transposed-convolution upsamplers ×5 and ×2 on the CPU and Vulkan`() {
        upsampling(tiny.cpu, dims.levels[0], 3)
        upsampling(tiny.cpu, dims.levels[1], 4)
        upsampling(tiny.vulkan(), dims.levels[0], 5)
    }

    private fun amp(device: Device, seed: Long) {
        val x = Nd.random(Random(seed), 1.0, 40, 6)
        val w = "$g.resblocks.8"   // level 2 (6 channels), kernel 11
        val actual = tiny.run(device, mapOf("x" to x), mapOf(Ltx2Vocoder.TAPS to vocoder.upsampleTaps)) { b ->
            vocoder.ampBlock(b.nn.ctx, tiny.on(device).at(w), b.input("x", GgmlType.F32, 40, 6), taps(b))
        }
        val expected = Ltx2VocoderReference64.ampBlock(x, tiny.reference.at(w), dims.dilations)
        assertClose(actual, expected, bound(device, BLOCK, BLOCK_VULKAN), "AMP block, kernel 11, dilations 1 3 5 (${device.name()})")
    }

    @Test
    fun `an AMP block on the CPU`() = amp(tiny.cpu, 6)

    @Test
    fun `an AMP block on Vulkan`() = amp(tiny.vulkan(), 7)

    private fun whole(device: Device, seed: Long) {
        val mel = Nd.random(Random(seed), 1.0, 64, 6, 2)
        val actual = tiny.run(device, mapOf(Ltx2Vocoder.INPUT to mel), mapOf(Ltx2Vocoder.TAPS to vocoder.upsampleTaps),
            build = vocoder.graph(tiny.on(device).at(g), 6))
        val expected = Ltx2VocoderReference64.vocoder(tiny.reference.at(g), dims, mel)
        assertEquals(listOf(6 * 160, 2), expected.ne.toList())
        assertTrue(expected.d.count { kotlin.math.abs(it) < 1 } > expected.d.size * 9 / 10, "the clamp leaves most samples as they are")
        assertClose(actual, expected, bound(device, WHOLE, WHOLE_VULKAN), "LTX-2.3 vocoder, 6 mel frames → 960 stereo samples (${device.name()})")
    }

    @Test
    fun `the tiny vocoder turns 6 mel frames into 960 stereo samples on the CPU`() = whole(tiny.cpu, 8)

    @Test
    fun `the tiny vocoder turns 6 mel frames into 960 stereo samples on Vulkan`() = whole(tiny.vulkan(), 9)

    @Test
    fun `bf16 kernels as the released checkpoint stores them convolve as they are on the CPU`() {
        Ltx2VocoderReference64.weights(32, kernelType = GgmlType.BF16).use { bf16 ->
            val mel = Nd.random(Random(10), 1.0, 64, 6, 2)
            val actual = bf16.run(bf16.cpu, mapOf(Ltx2Vocoder.INPUT to mel), mapOf(Ltx2Vocoder.TAPS to vocoder.upsampleTaps),
                build = vocoder.graph(bf16.on().at(g), 6))
            assertEquals(GgmlType.BF16, bf16.on().get("$g.ups.0.weight").type())
            assertClose(actual, Ltx2VocoderReference64.vocoder(bf16.reference.at(g), dims, mel), BF16, "LTX-2.3 vocoder, bf16 kernels (CPU)")
        }
    }

    private companion object {
        const val BLOCK = 1e-5
        const val BLOCK_VULKAN = 2e-3
        const val WHOLE = 1e-5
        const val WHOLE_VULKAN = 5e-3
        const val BF16 = 1e-2
    }
}
