package dev.sdj.core.family.ltx2

import dev.sdj.core.device.ComputeBackends
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Nd
import dev.sdj.ggml.Device
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.util.Random
import kotlin.math.abs

/**
 * The vocoder decoded in windows equals the whole decode: with the receptive field as context ([Ltx2VocoderDimensions
 * .reach]) every kept sample is computed from the same mel frames, so the two agree to float rounding: bound [EXACT] =
 * 1e-6 of the largest sample (measured: 0, the windows compute each kept sample by the same operations). A quarter of
 * that context is not enough, which shows the test can tell. The tiny vocoder here has one AMP block (kernel 3) per
 * level, a third of the work and a receptive field of 26 frames instead of 45, which keeps the three
 * decodes short.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ltx2VocoderChunkingTest {
    private val tiny = Ltx2VocoderReference64.weights(41, ONE_BLOCK)

    @AfterAll
    fun close() = tiny.close()

    @Test
    fun `windows have one length, cover the clip once, and keep only frames with their context on both sides`() {
        val c = Ltx2VocoderChunking(frames = 16, context = 45)
        for (total in listOf(1, 50, 106, 107, 130, 141, 1000)) {
            val windows = c.windows(total)
            assertTrue(c.length(total) <= c.frames + 2 * c.context || windows.size == 1, "a window's length for $total frames")
            assertTrue(windows.all { it.start >= 0 && it.start + c.length(total) <= total }, "windows inside $total frames")
            assertEquals((0 until total).toList(), windows.flatMap { it.keepFrom until it.keepTo }, "kept frames of $total")
            for (w in windows) {
                val end = w.start + c.length(total)
                assertTrue(w.start == 0 || w.keepFrom - w.start >= c.context, "$w: context before")
                assertTrue(end == total || end - w.keepTo >= c.context, "$w: context after")
            }
        }
        assertEquals(1, c.windows(106).size, "a clip no longer than a window is one window")
        assertEquals(2, c.windows(107).size, "a frame more needs a second window")
    }

    @Test
    fun `the receptive field of LTX-2·3's vocoder is 45 mel frames`() {
        assertEquals(45, Ltx2VocoderDimensions.LTX_2_3.reach)
        assertEquals(45, TinyLtx2Vocoder.TINY.reach)
    }

    private fun decode(device: Device, mel: Nd, frames: Int, chunking: Ltx2VocoderChunking): Ltx2Waveform =
        GraphSession(tiny.ggml, device.bufferType(), ComputeBackends.open(device, 2)).use { session ->
            Ltx2Vocoding(tiny.on(device), chunking).decode(mel.toFloats(), frames, session)
        }

    private fun maxDifference(a: Ltx2Waveform, b: Ltx2Waveform): Double =
        a.samples.indices.maxOf { abs(a.samples[it].toDouble() - b.samples[it]) } / b.samples.maxOf { abs(it) }

    @Test
    fun `a clip in two windows equals the whole decode, and with a quarter of the context it does not`() {
        val reach = ONE_BLOCK.reach
        val frames = 2 * reach + 2
        val mel = Nd.random(Random(3), 1.0, 64, frames, 2)
        val whole = decode(tiny.cpu, mel, frames, Ltx2VocoderChunking(frames, reach))
        val chunked = decode(tiny.cpu, mel, frames, Ltx2VocoderChunking(1, reach))
        val short = decode(tiny.cpu, mel, frames, Ltx2VocoderChunking(8, reach / 4))
        assertEquals(2, Ltx2VocoderChunking(1, reach).windows(frames).size)
        assertEquals(16_000, whole.sampleRate)
        assertEquals(frames * 160, whole.length)
        assertEquals(2, whole.channels)
        val exact = maxDifference(chunked, whole)
        val apart = maxDifference(short, whole)
        println("vocoder in windows with context $reach against the whole: %.2e; with context ${reach / 4}: %.2e".format(exact, apart))
        assertTrue(exact <= EXACT, "chunked decode differs from the whole by $exact")
        assertTrue(apart > 10 * EXACT, "too little context changes the samples")
    }

    private companion object {
        const val EXACT = 1e-6
        val ONE_BLOCK = TinyLtx2Vocoder.TINY.copy(blockKernels = listOf(3))
    }
}
