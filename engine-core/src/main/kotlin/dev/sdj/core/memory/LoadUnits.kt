package dev.sdj.core.memory

import dev.sdj.core.model.Component
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml

/**
 * A component's parameter specs split as they are allocated and loaded: its [weights] in one buffer, and the
 * low-rank LoRA adapters of each source (LoRA file) in one of their own, by source — so a change of the LoRA set
 * loads and frees only the adapters it adds or drops, and a change of a LoRA's weight (a factor in the graph) none.
 */
class LoadUnits(val weights: List<ParamSpec>, val adapters: Map<String, List<ParamSpec>>) {

    /** The bytes the units take in [bufferType], each laid out as a buffer of its own. */
    fun bytesNeeded(ggml: Ggml, bufferType: BufferType): Long =
        ParamLayout.bytesNeeded(ggml, bufferType, weights) + adapters.values.sumOf { ParamLayout.bytesNeeded(ggml, bufferType, it) }

    companion object {
        /** [specs] (of [component]'s tensors) split into units; specs of no tensor the component has stay with the weights. */
        fun of(component: Component, specs: List<ParamSpec>): LoadUnits {
            val sources = component.adapterSources
            val sourceOf = HashMap<String, String>()
            sources.forEach { (source, names) -> names.forEach { sourceOf[it] = source } }
            val (adapterSpecs, weights) = specs.partition { it.name in sourceOf }
            val adapters = LinkedHashMap<String, MutableList<ParamSpec>>()
            for (spec in adapterSpecs) adapters.getOrPut(sourceOf.getValue(spec.name)) { ArrayList() }.add(spec)
            return LoadUnits(weights, adapters)
        }
    }
}
