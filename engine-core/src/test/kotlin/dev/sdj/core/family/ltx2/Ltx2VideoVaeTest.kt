package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlException
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * LTX-2's video decoder against [Ltx2VaeReference64], on the CPU and on Vulkan (lavapipe in CI), with f16 kernels as
 * the device holds the checkpoint's. Errors are max|ggml − ref| / max|ref|; bounds a few times above what these seeds
 * give (in brackets).
 * - [CONV] 1e-3 [CPU 2.8e-4, lavapipe 2.4e-4]: the input is rounded to f16 in the im2col columns.
 * - [DECODER] 3e-3 [CPU 3.0e-4 … 9.9e-4, lavapipe 4.7e-4 … 1.0e-3]: f16 columns through up to 15 convolutions and
 *   PixelNorms.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2VideoVaeTest {
    private val tiny = Ltx2VaeReference64.weights(11)
    private val conditioned = Ltx2VaeReference64.weights(12, TinyLtx2Vae.TINY_CONDITIONED)

    @AfterAll
    fun close() {
        tiny.close()
        conditioned.close()
    }

    private fun latent(seed: Long, w: Int, h: Int, f: Int) = Nd.random(Random(seed), 1.0, w, h, f, 128)

    @Test
    fun `dimensions are read from the weights`() {
        assertEquals(TinyLtx2Vae.TINY, Ltx2VaeDimensions.of(tiny.on()))
        assertEquals(TinyLtx2Vae.TINY_CONDITIONED, Ltx2VaeDimensions.of(conditioned.on()))
        assertEquals(8, TinyLtx2Vae.TINY.timeScale)
        assertEquals(32, TinyLtx2Vae.TINY.spaceScale)
        assertEquals(9, TinyLtx2Vae.TINY.frames(2))
    }

    @Test
    fun `an upsampler whose output does not fit the next level is refused by name`() {
        RandomWeights(3).use { w ->
            for (e in TinyLtx2Vae().entries) {
                val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
                // up_blocks.5 (compress_time 16 → 8) given 3× the next level's channels
                if (e.name.startsWith("decoder.up_blocks.5.conv.conv.")) {
                    if (e.name.endsWith("weight")) w.add(e.name, 3, 3, 3, 16 * 24) else w.add(e.name, 24)
                } else w.add(e.name, *ne)
            }
            val e = assertThrows(IllegalArgumentException::class.java) { Ltx2VaeDimensions.of(w.on()) }
            assert("up_blocks.5.conv" in e.message!!) { e.message!! }
        }
    }

    private fun conv3d(device: Device, seed: Long) {
        RandomWeights(seed).use { w ->
            w.add("k", 3, 3, 3, 5 * 7, type = GgmlType.F16)
            val x = Nd.random(Random(seed), 1.0, 6, 5, 4, 5)
            val actual = w.run(device, mapOf("x" to x)) { g ->
                g.nn.ctx.conv3d(w.on(device).get("k"), g.input("x", GgmlType.F32, 6, 5, 4, 5))
            }
            assertClose(actual, Ltx2VaeReference64.conv3dValid(x, w.reference.get("k")), CONV, "conv3d 5 → 7 (${device.name()})")
        }
    }

    @Test
    fun `conv3d on the CPU`() = conv3d(tiny.cpu, 1)

    @Test
    fun `conv3d on Vulkan`() = conv3d(tiny.vulkan(), 2)

    @Test
    fun `conv3d refuses a kernel that does not fold the input channels`() {
        RandomWeights(4).use { w ->
            w.add("k", 3, 3, 3, 5 * 7 + 1, type = GgmlType.F16)
            assertThrows(GgmlException::class.java) {
                w.run(w.cpu) { g -> g.nn.ctx.conv3d(w.on().get("k"), g.input("x", GgmlType.F32, 6, 5, 4, 5)) }
            }
        }
    }

    /** The whole decoder over [frames] latent frames of 2×2 cells. */
    private fun decoder(rw: RandomWeights, dims: Ltx2VaeDimensions, device: Device, frames: Int, seed: Long, what: String) {
        val z = latent(seed, 2, 2, frames)
        val vae = Ltx2VideoVae(dims)
        val inputs = mutableMapOf("z" to z)
        if (dims.conditioned) inputs[Ltx2VideoVae.TIMESTEP] = Nd.of(floatArrayOf(Ltx2VideoVae.DECODE_TIMESTEP), 1)
        val actual = rw.run(device, inputs, build = vae.tileGraph(rw.on(device), Ltx2VaeTileShape(2, 2, frames)))
        val expected = Ltx2VaeReference64.decode(rw.reference, dims, z)
        assertEquals(listOf(2 * dims.spaceScale, 2 * dims.spaceScale, dims.frames(frames), 3), expected.ne.toList())
        assertClose(actual, expected, DECODER, "$what (${device.name()})")
    }

    @Test
    fun `the tiny decoder turns 2 latent frames into 9 on the CPU`() =
        decoder(tiny, TinyLtx2Vae.TINY, tiny.cpu, 2, 5, "LTX-2 decoder, 2×2×2 latent → 64×64×9")

    @Test
    fun `the tiny decoder turns 2 latent frames into 9 on Vulkan`() =
        decoder(tiny, TinyLtx2Vae.TINY, tiny.vulkan(), 2, 6, "LTX-2 decoder, 2×2×2 latent → 64×64×9")

    @Test
    fun `one latent frame decodes to one frame`() =
        decoder(tiny, TinyLtx2Vae.TINY, tiny.cpu, 1, 7, "LTX-2 decoder, 2×2×1 latent → 64×64×1")

    @Test
    fun `the timestep-conditioned decoder on the CPU`() =
        decoder(conditioned, TinyLtx2Vae.TINY_CONDITIONED, conditioned.cpu, 2, 8, "LTX-2 decoder with timestep conditioning")

    @Test
    fun `the timestep-conditioned decoder on Vulkan`() =
        decoder(conditioned, TinyLtx2Vae.TINY_CONDITIONED, conditioned.vulkan(), 2, 9, "LTX-2 decoder with timestep conditioning")

    /** One level of each kind alone between conv_in and conv_out: residual, compress_all, compress_time, compress_space. */
    private fun level(level: Ltx2VaeLevel, device: Device, seed: Long) {
        val hidden = when (level) {
            is Ltx2VaeLevel.Residual -> level.channels
            is Ltx2VaeLevel.Upsample -> level.inChannels
        }
        val dims = Ltx2VaeDimensions(hidden, listOf(level), conditioned = false)
        Ltx2VaeReference64.weights(seed, dims).use { rw -> decoder(rw, dims, device, 3, seed, "LTX-2 decoder level $level") }
    }

    @Test
    fun `a compress_all level drops the first of its doubled frames, on the CPU and Vulkan`() {
        val up = Ltx2VaeLevel.Upsample(0, 16, 8, time = 2, space = 2)
        level(up, tiny.cpu, 21)
        level(up, tiny.vulkan(), 22)
    }

    @Test
    fun `compress_time, compress_space and residual levels on the CPU`() {
        level(Ltx2VaeLevel.Upsample(0, 16, 8, time = 2, space = 1), tiny.cpu, 23)
        level(Ltx2VaeLevel.Upsample(0, 8, 8, time = 1, space = 2), tiny.cpu, 24)
        level(Ltx2VaeLevel.Residual(0, 8, 2, false), tiny.cpu, 25)
    }

    private companion object {
        const val CONV = 1e-3
        const val DECODER = 3e-3
    }
}
