package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.family.TinyF32Model.Companion.assertClose
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nd
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Device
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random

/**
 * LTX-2's video encoder against [Ltx2VaeEncoderReference64], on the CPU and on Vulkan (lavapipe in CI), with f16
 * kernels as the device holds the checkpoint's. Errors are max|ggml − ref| / max|ref|; the bound a few times above what
 * these seeds give (in brackets). Vulkan runs one picture and one temporal level; the CPU the 9-frame clip and the
 * picture through [Ltx2ImageEncoding].
 * - [ENCODER] 3e-3 [CPU 1.8e-4 … 3.7e-4, lavapipe 1.8e-4 … 3.7e-4]: f16 im2col columns through up to 15 convolutions and PixelNorms, then the
 *   division by the statistics' std.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2VideoVaeEncoderTest {
    private val tiny = Ltx2VaeEncoderReference64.weights(31)
    private val statistics = Random(32).let { r -> Ltx2LatentStatistics(FloatArray(128) { 0.3f * r.nextGaussian().toFloat() },
        FloatArray(128) { 1f + 0.2f * r.nextGaussian().toFloat() }) }

    @AfterAll
    fun close() = tiny.close()

    private fun video(seed: Long, w: Int, h: Int, t: Int) = Nd.random(Random(seed), 1.0, w, h, t, 3).map { it.coerceIn(-1.0, 1.0) }

    private fun stats(): Map<String, Nd> = mapOf(
        Ltx2VideoVaeEncoder.MEAN to Nd.of(statistics.mean, 128), Ltx2VideoVaeEncoder.STD to Nd.of(statistics.std, 128))

    private fun expected(rw: RandomWeights, dims: Ltx2VaeEncoderDimensions, x: Nd): Nd =
        Ltx2VaeEncoderReference64.encode(rw.reference, dims, x, statistics.mean.map { it.toDouble() }.toDoubleArray(),
            statistics.std.map { it.toDouble() }.toDoubleArray())

    /** [dims]' encoder over a [w]×[h]×[t] video. */
    private fun encoder(rw: RandomWeights, dims: Ltx2VaeEncoderDimensions, device: Device, w: Int, h: Int, t: Int, seed: Long, what: String) {
        val x = video(seed, w, h, t)
        val enc = Ltx2VideoVaeEncoder(dims)
        val actual = rw.run(device, stats() + (Ltx2VideoVaeEncoder.INPUT to x), build = enc.graph(rw.on(device), w.toLong(), h.toLong(), t))
        val ref = expected(rw, dims, x)
        assertEquals(listOf(w / dims.spaceScale, h / dims.spaceScale, dims.latentFrames(t), 128), ref.ne.toList())
        assertClose(actual, ref, ENCODER, "$what (${device.name()})")
    }

    @Test
    fun `dimensions are read from the weights`() {
        assertEquals(TinyLtx2VaeEncoder.TINY, Ltx2VaeEncoderDimensions.of(tiny.on()))
        assertEquals(8 to 32, TinyLtx2VaeEncoder.TINY.timeScale to TinyLtx2VaeEncoder.TINY.spaceScale)
        val real = Ltx2VaeEncoderDimensions.LTX_2_3
        assertEquals(8 to 32, real.timeScale to real.spaceScale)
        assertEquals(listOf(2L, 1L, 4L, 8L), real.levels.filterIsInstance<Ltx2VaeEncoderLevel.Downsample>().map { it.group })
        assertEquals(listOf(2L, 2L, 4L, 8L), TinyLtx2VaeEncoder.TINY.levels.filterIsInstance<Ltx2VaeEncoderLevel.Downsample>().map { it.group })
        assertEquals(1024L, real.outHidden)
        assertEquals(listOf(1, 2, 3), listOf(1, 9, 17).map { real.latentFrames(it) })
        assertThrows(IllegalArgumentException::class.java) { real.latentFrames(8) }
    }

    /** The tiny encoder's tensors, [replace] giving some their own shapes ([name] → ggml shape), none where null. */
    private fun refused(replace: (String) -> IntArray?): String = RandomWeights(3).use { w ->
        for (e in TinyLtx2VaeEncoder().entries) {
            val ne = ParamSpecs.ggmlShape(e.torchShape.reversed()).map { it.toInt() }.toIntArray()
            w.add(e.name, *(replace(e.name) ?: ne))
        }
        assertThrows(IllegalArgumentException::class.java) { Ltx2VaeEncoderDimensions.of(w.on()) }.message!!
    }

    @Test
    fun `a downsampler whose convolution does not fit the next level is refused by name`() {
        // down_blocks.3 (compress_time 16 → 16, conv 16 → 8) given 6 outputs: 16 is not 2, 4 or 8 times 6
        val message = refused { name ->
            when (name) {
                "encoder.down_blocks.3.conv.conv.weight" -> intArrayOf(3, 3, 3, 16 * 6)
                "encoder.down_blocks.3.conv.conv.bias" -> intArrayOf(6)
                else -> null
            }
        }
        assertTrue("encoder.down_blocks.3.conv" in message, message)
    }

    @Test
    fun `a conv_out without the log-variance channel is refused by name`() {
        val message = refused { name ->
            when (name) {
                "encoder.conv_out.conv.weight" -> intArrayOf(3, 3, 3, 32 * 128)
                "encoder.conv_out.conv.bias" -> intArrayOf(128)
                else -> null
            }
        }
        assertTrue("encoder.conv_out" in message, message)
    }

    /** One downsampler alone between conv_in and conv_out over 5 frames of 16×8 pixels. */
    private fun level(level: Ltx2VaeEncoderLevel.Downsample, device: Device, seed: Long) {
        val dims = Ltx2VaeEncoderDimensions(level.inChannels, listOf(level))
        Ltx2VaeEncoderReference64.weights(seed, dims).use { rw ->
            encoder(rw, dims, device, 16, 8, 1 + 2 * level.time, seed, "LTX-2 encoder level $level")
        }
    }

    @Test
    fun `a compress_all_res level doubles the first frame and averages 4 channels, on the CPU and Vulkan`() {
        val down = Ltx2VaeEncoderLevel.Downsample(0, 8, 16, time = 2, space = 2)
        level(down, tiny.cpu, 41)
        level(down, tiny.vulkan(), 42)
    }

    @Test
    fun `the tiny encoder turns one picture into one latent frame on Vulkan`() =
        encoder(tiny, TinyLtx2VaeEncoder.TINY, tiny.vulkan(), 64, 32, 1, 6, "LTX-2 encoder, 64×32×1 → 2×1×1 latent")

    @Test
    fun `the tiny encoder turns 9 frames into 2 on the CPU`() =
        encoder(tiny, TinyLtx2VaeEncoder.TINY, tiny.cpu, 32, 64, 9, 7, "LTX-2 encoder, 32×64×9 → 1×2×2 latent")

    /** The CPU's whole-encoder run on one picture, through the entry point a phase calls. */
    @Test
    fun `image encoding takes the picture a plane per colour and gives the latent the reference gives`() {
        val w = 64
        val h = 32
        val planar = video(9, w, h, 1)
        val rgb = FloatArray(3 * w * h) { i -> planar.d[i].toFloat() }
        val encoding = Ltx2ImageEncoding(tiny.on())
        val latent = GraphSession(tiny.ggml, tiny.cpu.bufferType(), ComputeBackends.open(tiny.cpu, 2)).use { encoding.encode(rgb, w, h, statistics, it) }
        assertClose(latent, expected(tiny, TinyLtx2VaeEncoder.TINY, planar), ENCODER, "LTX-2 image encoding")
        assertEquals("ltx2 video encoder 64x32x1", encoding.graph(w, h).key.name)
    }

    @Test
    fun `a picture not a multiple of 32 pixels is refused`() {
        val encoding = Ltx2ImageEncoding(tiny.on())
        val e = GraphSession(tiny.ggml, tiny.cpu.bufferType(), ComputeBackends.open(tiny.cpu, 1)).use { s ->
            assertThrows(IllegalArgumentException::class.java) { encoding.encode(FloatArray(3 * 48 * 32), 48, 32, statistics, s) }
        }
        assertTrue("multiple of 32" in e.message!!, e.message!!)
    }

    @Test
    fun `the statistics are read from the VAE's weights and refused when missing`() {
        RandomWeights(5).use { w ->
            w.set("per_channel_statistics.${Ltx2VideoVae.MEAN}", Nd.of(statistics.mean, 128))
            w.set("per_channel_statistics.${Ltx2VideoVae.STD}", Nd.of(statistics.std, 128))
            val read = Ltx2LatentStatistics.of(w.on())
            assertArrayEquals(statistics.mean, read.mean)
            assertArrayEquals(statistics.std, read.std)
            val e = assertThrows(IllegalArgumentException::class.java) { Ltx2LatentStatistics.of(w.on().at("encoder")) }
            assertTrue("per_channel_statistics" in e.message!!, e.message!!)
        }
        assertThrows(IllegalArgumentException::class.java) { Ltx2LatentStatistics(FloatArray(128), FloatArray(128)) }
    }

    private companion object {
        const val ENCODER = 3e-3
    }
}
