package dev.sdj.core.scheduler

import dev.sdj.core.model.ComponentKind

/**
 * What is on the device in each phase under one placement. Before a phase runs, the components it needs are loaded;
 * of the others already there, those used again soonest stay as long as the phase still fits under [peak], the rest
 * are freed. So nothing that fits is evicted, and the peak is always the largest phase's own: the phase that sets
 * it has no room for anything else. The engine applies [kept] as it runs; the planner walks the same rule to predict.
 *
 * @param needs   per phase, the components that must be on the device while it runs
 * @param sizes   device bytes of each component (for a streamed denoiser: its resident part)
 * @param compute per phase, its compute buffer (for a streamed denoiser's phase: with the stream slots)
 */
class Residency(val needs: List<Set<ComponentKind>>, val sizes: Map<ComponentKind, Long>, val compute: List<Long>) {
    init {
        require(needs.size == compute.size && needs.isNotEmpty()) { "one set of needs and one compute buffer per phase" }
    }

    private fun bytes(kinds: Collection<ComponentKind>) = kinds.sumOf { sizes[it] ?: 0L }

    /** The phase's own memory: what it needs and its compute buffer. */
    fun own(phase: Int): Long = bytes(needs[phase]) + compute[phase]

    val peak: Long = needs.indices.maxOf { own(it) }

    /** Of the components on the device besides phase [phase]'s needs, those that stay while it runs. */
    fun kept(phase: Int, loaded: Set<ComponentKind>): Set<ComponentKind> {
        var room = peak - own(phase)
        val kept = LinkedHashSet<ComponentKind>()
        for (kind in (loaded - needs[phase]).sortedBy { nextUse(phase, it) }) {
            val size = sizes[kind] ?: 0L
            if (size <= room) {
                kept.add(kind)
                room -= size
            }
        }
        return kept
    }

    /** Phases until [kind] is needed again after [phase], counting on into the next generation. */
    private fun nextUse(phase: Int, kind: ComponentKind): Int =
        (1..needs.size).firstOrNull { kind in needs[(phase + it) % needs.size] } ?: Int.MAX_VALUE

    /** One phase of a [walk]: what is on the device while it runs, and what was loaded for it. */
    class Step(val present: Set<ComponentKind>, val loads: Set<ComponentKind>)

    /**
     * The phases of one generation run from [loaded], those in [skipped] (reused results) not at all: for each
     * phase, its step, or null when skipped. The device's content after the walk is the last step's present set.
     */
    fun walk(loaded: Set<ComponentKind>, skipped: Set<Int> = emptySet()): List<Step?> {
        var on = loaded
        return needs.indices.map { i ->
            if (i in skipped) return@map null
            val present = kept(i, on) + needs[i]
            Step(present, needs[i] - on).also { on = present }
        }
    }

    /** What stays on the device after a generation run from [loaded]. */
    fun after(loaded: Set<ComponentKind>, skipped: Set<Int> = emptySet()): Set<ComponentKind> =
        walk(loaded, skipped).lastOrNull { it != null }?.present ?: loaded

    /** Whether [kind] stays on the device through every phase once generations repeat with new inputs. */
    fun staysThroughout(kind: ComponentKind): Boolean = walk(after(after(emptySet()))).all { it != null && kind in it.present }
}
