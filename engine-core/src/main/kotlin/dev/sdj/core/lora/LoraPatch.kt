package dev.sdj.core.lora

import dev.sdj.core.memory.WeightPatch

/** The LoRA layers that adapt one component's weights, each with its factor, merged in the order the LoRAs were given. */
class LoraPatch(private val terms: Map<String, List<Pair<LoraLayer, Float>>>, override val key: String) : WeightPatch {
    override val names: Set<String> get() = terms.keys

    override fun apply(name: String, values: FloatArray) {
        for ((layer, factor) in terms[name] ?: return) LoraMerge.add(values, layer, factor)
    }
}
