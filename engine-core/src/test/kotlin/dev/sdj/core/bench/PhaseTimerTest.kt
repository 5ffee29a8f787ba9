package dev.sdj.core.bench

import dev.sdj.api.Benchmarks
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class PhaseTimerTest {
    /** A clock that reads the next of [seconds] each time it is asked, the first at the timer's creation. */
    private fun clock(vararg seconds: Double): () -> Long {
        val readings = seconds.map { (it * 1e9).toLong() }.iterator()
        return { readings.next() }
    }

    @Test
    fun `phases, the work between them and each step add up to the run`() {
        val timer = PhaseTimer(clock(0.0, 1.0, 1.5, 4.0, 6.0, 9.0, 9.5, 12.0, 12.5))
        timer.onProgress("text encoding", 0, 1)
        timer.onProgress("text encoding", 1, 1)
        timer.onProgress("denoising", 0, 2)
        timer.onProgress("denoising", 1, 2)
        timer.onProgress("denoising", 2, 2)
        timer.onProgress("decoding", 0, 1)
        timer.onProgress("decoding", 1, 1)
        val times = timer.times()
        assertEquals(listOf(
            Benchmarks.PhaseTime("before text encoding", 1.0, listOf()),
            Benchmarks.PhaseTime("text encoding", 0.5, listOf(0.5)),
            Benchmarks.PhaseTime("before denoising", 2.5, listOf()),
            Benchmarks.PhaseTime("denoising", 5.0, listOf(2.0, 3.0)),
            Benchmarks.PhaseTime("before decoding", 0.5, listOf()),
            Benchmarks.PhaseTime("decoding", 2.5, listOf(2.5)),
            Benchmarks.PhaseTime("after decoding", 0.5, listOf()),
        ), times)
        assertEquals(12.5, times.sumOf { it.seconds }, 1e-9)
    }

    @Test
    fun `a phase reported again after another is a stretch of its own`() {
        val timer = PhaseTimer(clock(0.0, 1.0, 2.0, 3.0, 4.0, 5.0))
        timer.onProgress("denoising", 0, 1)
        timer.onProgress("image encoding", 0, 1)
        timer.onProgress("denoising", 0, 1)
        timer.onProgress("denoising", 1, 1)
        assertEquals(listOf("before denoising", "denoising", "before image encoding", "image encoding", "before denoising", "denoising",
            "after denoising"), timer.times().map { it.name })
    }

    @Test
    fun `a run that reported nothing has no stretches`() {
        assertEquals(listOf<Benchmarks.PhaseTime>(), PhaseTimer(clock(0.0, 1.0)).times())
    }
}
