package dev.sdj.core.lora

import dev.sdj.core.memory.WeightPatch

/** One LoRA layer's share of a weight: its product times [factor], into the rows [rows] names (all of them without). */
class LoraTerm(val layer: LoraLayer, val factor: Float, val rows: RowSpan?)

/** The LoRA layers that adapt one component's weights, merged in the order the LoRAs were given. */
class LoraPatch(private val terms: Map<String, List<LoraTerm>>, override val key: String) : WeightPatch {
    override val names: Set<String> get() = terms.keys

    override fun apply(name: String, values: FloatArray) {
        for (term in terms[name] ?: return) LoraMerge.add(values, term.layer, term.factor, term.rows)
    }
}
