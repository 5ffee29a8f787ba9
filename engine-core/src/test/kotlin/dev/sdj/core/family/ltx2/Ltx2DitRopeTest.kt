package dev.sdj.core.family.ltx2

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.math.PI
import kotlin.math.abs
import kotlin.math.cos
import kotlin.math.max
import kotlin.math.pow
import kotlin.math.sin

/**
 * [Ltx2DitRope]'s tables against sd.cpp's formulas written out in float64: per token the coordinates (video: latent
 * frame f spans pixel frames max(0, 8f − 7) … 8f + 1 over fps, cell h spans pixels 32h … 32h + 32; audio: step t spans
 * mel frames max(0, 4t − 3) … 4t + 1 of 10 ms), each axis's centre over its maximum (20 s, 2048 px, 2048 px); after
 * W/2 − n·axes zero angles, frequency i = θ^(i/(n − 1))·π/2 times (2c − 1) for each axis in turn; head h taking its own
 * run of d/2 angles. The tables compute in f32 as sd.cpp does, frequencies included: exp's argument ln θ · i/(n − 1)
 * reaches 9.2, where an f32 step is 9.5e-7, so a frequency near θ·π/2 ≈ 15 708 can be off by 5e-7 of itself, 8e-3
 * rad [measured: 3-D 3.7e-3, time-only 4.4e-3 (video) and 5.1e-3 (audio)]; bound 1e-2.
 * The mistakes it catches: cells' corners instead of centres 1.8, a non-causal first frame 1.7, latent instead of
 * pixel coordinates 1.9.
 */
class Ltx2DitRopeTest {
    private val d = Ltx2DitDimensions.TINY

    private fun expected(width: Int, heads: Int, coordinates: List<DoubleArray>): DoubleArray {
        val half = width / 2
        val axes = coordinates[0].size
        val n = width / (2 * axes)
        val pad = half - n * axes
        val out = DoubleArray(half * coordinates.size * 2)
        val plane = half * coordinates.size
        for ((p, c) in coordinates.withIndex()) for (slot in 0 until half) {
            val angle = if (slot < pad) 0.0 else {
                val i = (slot - pad) / axes
                val axis = (slot - pad) % axes
                10_000.0.pow(i.toDouble() / (n - 1)) * PI / 2 * (2 * c[axis] - 1)
            }
            // the table's order [d/2, heads, tokens]: head h's pair j is slot h·d/2 + j of the token
            out[slot + half * p] = cos(angle)
            out[slot + half * p + plane] = sin(angle)
        }
        require(heads > 0)
        return out
    }

    private fun maxDiff(actual: FloatArray, expected: DoubleArray): Double {
        assertEquals(expected.size, actual.size)
        return actual.indices.maxOf { abs(actual[it] - expected[it]) }
    }

    private fun videoSeconds(f: Int, fps: Double) = (max(0.0, 8.0 * f - 7) + (8.0 * f + 1)) / 2 / fps

    private fun audioSeconds(t: Int) = (max(0.0, 4.0 * t - 3) + (4.0 * t + 1)) / 2 * 0.01

    @Test
    fun `the video table turns each head by time, height and width at the cells' centres`() {
        val (frames, height, width, fps) = listOf(5, 3, 4, 25)
        val coordinates = ArrayList<DoubleArray>()
        for (f in 0 until frames) for (h in 0 until height) for (w in 0 until width) {
            coordinates += doubleArrayOf(videoSeconds(f, fps.toDouble()) / 20, (32.0 * h + 16) / 2048, (32.0 * w + 16) / 2048)
        }
        val diff = maxDiff(Ltx2DitRope.video(d, frames, height, width, fps.toFloat()), expected(64, 4, coordinates))
        println("video rope table against float64: %.1e".format(diff))
        assertTrue(diff < BOUND, "the 3-D table differs from its formula by $diff")
    }

    @Test
    fun `the cross-attention tables turn by time alone`() {
        val (frames, height, width, fps) = listOf(4, 2, 3, 24)
        val video = (0 until frames * height * width).map { doubleArrayOf(videoSeconds(it / (height * width), fps.toDouble()) / 20) }
        val videoDiff = maxDiff(Ltx2DitRope.videoTime(d, frames, height, width, fps.toFloat()), expected(32, 4, video))
        val audio = (0 until 40).map { doubleArrayOf(audioSeconds(it) / 20) }
        val audioDiff = maxDiff(Ltx2DitRope.audio(d, 40), expected(32, 4, audio))
        println("time-only rope tables against float64: video %.1e, audio %.1e".format(videoDiff, audioDiff))
        assertTrue(videoDiff < BOUND && audioDiff < BOUND, "time tables differ from their formula by $videoDiff (video), $audioDiff (audio)")
    }

    @Test
    fun `the first latent frame is the causal VAE's single pixel frame`() {
        assertEquals(0.5 / 24, Ltx2DitRope.videoTime(0, 24f).toDouble(), 1e-7)
        assertEquals(5.0 / 24, Ltx2DitRope.videoTime(1, 24f).toDouble(), 1e-7)
        assertEquals(13.0 / 30, Ltx2DitRope.videoTime(2, 30f).toDouble(), 1e-7)
    }

    private companion object {
        const val BOUND = 1e-2
    }
}
