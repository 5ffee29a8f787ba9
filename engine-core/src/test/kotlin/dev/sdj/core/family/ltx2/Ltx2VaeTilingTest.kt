package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.ProgressListener
import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nd
import dev.sdj.core.image.LatentTiling
import dev.sdj.ggml.Device
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random
import kotlin.math.abs
import kotlin.math.max

/**
 * Tiled decoding ([Ltx2VideoDecoding] over [Ltx2VaeTiling]) against the whole decode's graph, both ggml (CPU, and
 * lavapipe for one case), and spatial tiles against float64 tiles. Differences are max|tiled − whole| / max|whole|.
 *
 * [TinyLtx2Vae.TINY] reaches 7.5 latent frames ahead (4 convolutions at the latent's rate, 3 at twice it, 5 at four
 * times, 6 at eight times), so temporal tiles overlapping by 8 keep only frames no missing right-hand frame reaches and
 * equal the whole decode ([EXACT] 1e-6; 0 measured, CPU and lavapipe: the same sums). Shorter overlaps leave the
 * frames near a tile's end without the frames after it; with random weights those matter as much as the frames
 * themselves (0.62 for sd.cpp's 4 frames overlapping by 1, 0.76 for 10 by 1, 1.02 for single frames), so [TEMPORAL]
 * 2 only says nothing runs away, and the test checks that the frames beyond the reach are exactly the whole decode's.
 * Spatial tiles likewise differ near their edges, where the reflected border stands in for the neighbours' pixels
 * (0.57 for 4-cell tiles overlapping by 2 over 6×4 cells, 1.02 with 2-frame temporal tiles too; [SPATIAL] 2); their
 * slicing and cross-fade are checked against float64 tiles cross-faded alike ([DECODER] 3e-3 as for the whole
 * decoder; 7.7e-4 measured).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2VaeTilingTest {
    private val weights: RandomWeights = Ltx2VaeReference64.weights(31)
    private val vae = Ltx2VideoVae(TinyLtx2Vae.TINY)

    @AfterAll
    fun close() = weights.close()

    @Test
    fun `temporal spans follow sd cpp's streaming loop`() {
        val spans = Ltx2VaeTiling(frames = 2, overlap = 1).spans(5).map { Triple(it.start, it.end, it.trailing) }
        assertEquals(listOf(Triple(0, 2, 1), Triple(1, 3, 1), Triple(2, 4, 1), Triple(3, 5, 0)), spans)
        assertEquals(listOf(Triple(0, 3, 1), Triple(2, 5, 1), Triple(4, 6, 0)),
            Ltx2VaeTiling(frames = 3, overlap = 1).spans(6).map { Triple(it.start, it.end, it.trailing) })
        assertEquals(listOf(Ltx2VaeTiling.Span(0, 1, 0)), Ltx2VaeTiling.SD_CPP_TEMPORAL.spans(1))
        // an overlap longer than the video shrinks to one frame less than it
        assertEquals(listOf(Ltx2VaeTiling.Span(0, 3, 0)), Ltx2VaeTiling(frames = 5, overlap = 4).spans(3))
        assertThrows(IllegalArgumentException::class.java) { Ltx2VaeTiling(frames = 2, overlap = 2) }
        assertThrows(IllegalArgumentException::class.java) { Ltx2VaeTiling(tile = 1) }
    }

    @Test
    fun `the tile shapes a decode runs are the first, the middle and the last`() {
        val shapes = Ltx2VaeTiling(frames = 4, overlap = 1, tile = 4, tileOverlap = 1).shapes(6, 3, 10)
        assertEquals(setOf(
            Ltx2VaeTileShape(4, 3, 4, first = true, trailing = 1, carries = true),
            Ltx2VaeTileShape(4, 3, 4, first = false, trailing = 1, carries = true),
            Ltx2VaeTileShape(4, 3, 4, first = false, trailing = 0, carries = false),
        ), shapes)
    }

    private fun whole(device: Device, z: Nd, w: Int, h: Int, f: Int): FloatArray {
        val planar = weights.run(device, mapOf(Ltx2VideoVae.INPUT to z), build = vae.tileGraph(weights.on(device), Ltx2VaeTileShape(w.toLong(), h.toLong(), f)))
        // [W, H, F, 3] planar → [3, W, H, F] interleaved, as Ltx2Frames holds frames
        val pixels = planar.size / 3
        return FloatArray(planar.size) { i -> planar[(i % 3) * pixels + i / 3] }
    }

    private fun tiled(device: Device, tiling: Ltx2VaeTiling, z: Nd, w: Int, h: Int, f: Int,
                      progress: ProgressListener = ProgressListener.NONE, cancel: CancellationToken = CancellationToken()): Ltx2Frames =
        GraphSession(weights.ggml, device.bufferType(), ComputeBackends.open(device, 2)).use { session ->
            Ltx2VideoDecoding(vae, weights.on(device), tiling).decode(z.toFloats(), w, h, f, session, progress, cancel)
        }

    private fun difference(a: FloatArray, b: FloatArray): Double {
        assertEquals(b.size, a.size)
        var d = 0.0
        var m = 0.0
        for (i in a.indices) {
            d = max(d, abs(a[i] - b[i]).toDouble())
            m = max(m, abs(b[i]).toDouble())
        }
        return d / m
    }

    /** Tiled against whole: the first [exactFrames] frames equal, the rest within [bound]. */
    private fun compare(device: Device, tiling: Ltx2VaeTiling, w: Int, h: Int, f: Int, bound: Double, what: String, seed: Long,
                        exactFrames: Int = 0) {
        val z = Nd.random(Random(seed), 1.0, w, h, f, 128)
        val frames = tiled(device, tiling, z, w, h, f)
        assertEquals(listOf(32 * w, 32 * h, TinyLtx2Vae.TINY.frames(f)), listOf(frames.width, frames.height, frames.count))
        val expected = whole(device, z, w, h, f)
        val diff = difference(frames.rgb, expected)
        println("tiled vs whole: %-60s %.2e (bound %.0e)".format("$what (${device.name()})", diff, bound))
        assertTrue(diff <= bound, "$what: tiled differs from whole by $diff")
        val prefix = 3 * frames.width * frames.height * exactFrames
        for (i in 0 until prefix) assertEquals(expected[i], frames.rgb[i], "value $i of the first $exactFrames frames")
    }

    @Test
    fun `one tile of the whole latent is the whole decode, interleaved frame by frame`() {
        compare(weights.cpu, Ltx2VaeTiling(), 2, 2, 3, 0.0, "no tiling", 1)
    }

    @Test
    fun `temporal tiles overlapping beyond the decoder's reach equal the whole decode`() {
        compare(weights.cpu, Ltx2VaeTiling(frames = 10, overlap = 8), 2, 2, 12, EXACT, "2 tiles of 10 latent frames, overlap 8", 2)
    }

    /**
     * A tile's last kept frames lack the frames after its end, which the whole decode sees, so they differ by as much
     * as those frames matter (random weights: as much as the frames themselves); frames farther from the tile's end than
     * the decoder reaches are the whole decode's. Tiles of 10 over 12 latent frames cut at latent frame 10: latent
     * frames 0 and 1 (output frames 0 … 8) lie 8 or more before it, beyond the 7.5 reach.
     */
    @Test
    fun `short temporal tiles keep the frames beyond the decoder's reach exact`() {
        compare(weights.cpu, Ltx2VaeTiling(frames = 10, overlap = 1), 2, 2, 12, TEMPORAL, "2 tiles of 10 latent frames, overlap 1", 3,
            exactFrames = 9)
        compare(weights.cpu, Ltx2VaeTiling.SD_CPP_TEMPORAL, 2, 2, 6, TEMPORAL, "sd.cpp's 4 latent frames, overlap 1", 4)
        compare(weights.cpu, Ltx2VaeTiling(frames = 1), 2, 2, 4, TEMPORAL, "single latent frames", 5)
    }

    @Test
    fun `temporal tiles on Vulkan`() {
        compare(weights.vulkan(), Ltx2VaeTiling(frames = 10, overlap = 8), 2, 2, 12, EXACT_VULKAN, "2 tiles of 10 latent frames, overlap 8", 5)
    }

    /** Each spatial tile decoded in float64, cross-faded with LatentTiling's linear ramps, interleaved [3, W, H, F]. */
    private fun referenceTiles(z: Nd, w: Int, h: Int, f: Int, tile: Int, overlap: Int): FloatArray {
        val scale = 32
        val count = TinyLtx2Vae.TINY.frames(f)
        val outW = w * scale
        val outH = h * scale
        val sum = DoubleArray(3 * outW * outH * count)
        val weightSum = DoubleArray(outW * outH)
        val tiling = LatentTiling(tile, overlap)
        fun ramp(n: Int, o: Int, size: Int, extent: Int) = DoubleArray(n) { i ->
            val fade = overlap * scale
            val up = if (o > 0) minOf(1.0, (i + 1.0) / (fade + 1)) else 1.0
            val down = if (o + extent < size) minOf(1.0, (n - i).toDouble() / (fade + 1)) else 1.0
            minOf(up, down)
        }
        val tw = tiling.extent(w)
        val th = tiling.extent(h)
        for (oy in tiling.origins(h)) for (ox in tiling.origins(w)) {
            val part = Nd(tw, th, f, 128)
            for (c in 0 until 128) for (t in 0 until f) for (y in 0 until th) for (x in 0 until tw) {
                part.d[x + tw * (y + th * (t + f * c))] = z.d[ox + x + w * (oy + y + h * (t + f * c))]
            }
            val video = Ltx2VaeReference64.decode(weights.reference, TinyLtx2Vae.TINY, part)
            val pw = tw * scale
            val ph = th * scale
            val wx = ramp(pw, ox, w, tw)
            val wy = ramp(ph, oy, h, th)
            for (y in 0 until ph) for (x in 0 until pw) {
                val at = (oy * scale + y) * outW + ox * scale + x
                weightSum[at] += wx[x] * wy[y]
                for (t in 0 until count) for (c in 0 until 3) {
                    sum[3 * (t * outW * outH + at) + c] += wx[x] * wy[y] * video.d[x + pw * (y + ph * (t + count * c))]
                }
            }
        }
        return FloatArray(sum.size) { (sum[it] / weightSum[(it / 3) % (outW * outH)]).toFloat() }
    }

    /** Slicing, blending and interleaving against an account of their own: [DECODER] as for the whole decoder. */
    @Test
    fun `spatial tiles are the float64 tiles cross-faded`() {
        val z = Nd.random(Random(6), 1.0, 5, 3, 2, 128)
        val frames = tiled(weights.cpu, Ltx2VaeTiling(tile = 3, tileOverlap = 1), z, 5, 3, 2)
        val expected = referenceTiles(z, 5, 3, 2, 3, 1)
        val err = difference(frames.rgb, expected)
        println("tiled vs float64 tiles: 3-cell tiles overlapping by 1 over 5×3×2 (CPU) %.2e (bound %.0e)".format(err, DECODER))
        assertTrue(err <= DECODER, "spatial tiles differ from the float64 tiles by $err")
    }

    @Test
    fun `spatial and temporal tiles together stay within the bound of the whole decode`() {
        compare(weights.cpu, Ltx2VaeTiling(tile = 4, tileOverlap = 2), 6, 4, 2, SPATIAL, "4-cell tiles overlapping by 2 over 6×4", 6)
        compare(weights.cpu, Ltx2VaeTiling(frames = 2, overlap = 1, tile = 3, tileOverlap = 1), 5, 3, 4, SPATIAL,
            "3-cell tiles, 2-frame tiles over 5×3×4", 7)
    }

    @Test
    fun `progress counts every tile, and a cancelled decode stops before the next`() {
        val z = Nd.random(Random(8), 1.0, 4, 2, 3, 128)
        val tiling = Ltx2VaeTiling(frames = 2, overlap = 1, tile = 2)
        val seen = ArrayList<Pair<Int, Int>>()
        tiled(weights.cpu, tiling, z, 4, 2, 3, { phase, step, total -> assertEquals("decoding", phase); seen += step to total })
        assertEquals((0..4).map { it to 4 }, seen, "2 temporal × 2 spatial tiles")
        val cancel = CancellationToken()
        val cancelling = ProgressListener { _, step, _ -> if (step == 1) cancel.cancel() }
        assertThrows(GenerationCancelledException::class.java) { tiled(weights.cpu, tiling, z, 4, 2, 3, cancelling, cancel) }
    }

    @Test
    fun `a latent of the wrong size is refused before any graph is built`() {
        val e = assertThrows(IllegalArgumentException::class.java) {
            GraphSession(weights.ggml, weights.cpu.bufferType(), ComputeBackends.open(weights.cpu, 1)).use { session ->
                Ltx2VideoDecoding(vae, weights.on(), Ltx2VaeTiling()).decode(FloatArray(10), 2, 2, 1, session)
            }
        }
        assertTrue("2x2x1x128" in e.message!!, e.message)
    }

    /**
     * The compute buffer per tile shape, as the planner measures it: a 4×4-cell latent of 9 frames (128×128×65) with
     * [TinyLtx2Vae.TINY] on the CPU's buffer type. Short temporal tiles hold a fraction of the whole decode's buffer.
     */
    @Test
    fun `a temporal tile's compute buffer is a fraction of the whole decode's`() {
        val w = weights.on()
        fun bytes(shape: Ltx2VaeTileShape) = CompiledGraph.measure(weights.ggml, weights.cpu.bufferType(), build = vae.tileGraph(w, shape))
        val whole = bytes(Ltx2VaeTileShape(4, 4, 9))
        val sdCpp = Ltx2VaeTiling.SD_CPP_TEMPORAL.shapes(4, 4, 9).maxOf { bytes(it) }
        val single = Ltx2VaeTiling(frames = 1).shapes(4, 4, 9).maxOf { bytes(it) }
        val spatial = Ltx2VaeTiling(frames = 1, tile = 2, tileOverlap = 1).shapes(4, 4, 9).maxOf { bytes(it) }
        println("compute buffer, 4×4×9 latent: whole %.1f MiB, 4-frame tiles %.1f MiB, 1-frame tiles %.1f MiB, 1-frame 2×2-cell tiles %.1f MiB"
            .format(whole / MIB, sdCpp / MIB, single / MIB, spatial / MIB))
        assertTrue(spatial < single && single < sdCpp && sdCpp < whole, "smaller tiles, smaller buffers")
    }

    private companion object {
        const val EXACT = 1e-6
        const val MIB = 1024.0 * 1024
        const val DECODER = 3e-3
        const val EXACT_VULKAN = 1e-6
        const val TEMPORAL = 2.0
        const val SPATIAL = 2.0
    }
}
