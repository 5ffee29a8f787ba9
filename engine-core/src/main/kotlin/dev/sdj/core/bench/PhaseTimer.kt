package dev.sdj.core.bench

import dev.sdj.api.Benchmarks
import dev.sdj.api.ProgressListener

/**
 * Times a generation from the engine's own progress events. A phase ("text encoding", "denoising", "decoding", "image
 * encoding", …) runs from its first event to its last, and each of its ticks (a denoising step, a decoded tile) from the
 * event before. What lies between phases — planning, loading weights, building graphs — is named after the phase it
 * precedes ("before denoising"), and what follows the last one (writing the image) "after decoding", so the stretches
 * add up to the whole run. A label seen again after another phase starts a new stretch.
 */
class PhaseTimer(private val clock: () -> Long = System::nanoTime) : ProgressListener {
    private val start = clock()
    private val phases = ArrayList<Stretch>()

    private class Stretch(val name: String, val ticks: MutableList<Long>)

    override fun onProgress(phase: String, step: Int, total: Int) {
        val now = clock()
        val current = phases.lastOrNull()
        if (current != null && current.name == phase) current.ticks.add(now) else phases.add(Stretch(phase, mutableListOf(now)))
    }

    /** The stretches from the timer's creation until now, in order. */
    fun times(): List<Benchmarks.PhaseTime> {
        val end = clock()
        val times = ArrayList<Benchmarks.PhaseTime>()
        var previousEnd = start
        for (phase in phases) {
            times.add(Benchmarks.PhaseTime("before ${phase.name}", seconds(phase.ticks.first() - previousEnd), listOf()))
            val steps = phase.ticks.zipWithNext { a, b -> seconds(b - a) }
            times.add(Benchmarks.PhaseTime(phase.name, seconds(phase.ticks.last() - phase.ticks.first()), steps))
            previousEnd = phase.ticks.last()
        }
        phases.lastOrNull()?.let { times.add(Benchmarks.PhaseTime("after ${it.name}", seconds(end - previousEnd), listOf())) }
        return times
    }

    private fun seconds(nanos: Long) = nanos / 1e9
}
