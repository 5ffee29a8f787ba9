package dev.sdj.core.lora

import dev.sdj.core.memory.WeightPatch
import dev.sdj.core.model.ComponentKind

/** One LoRA layer's share of a weight: its product times [factor], into the rows [rows] names (all of them without). */
class LoraTerm(val layer: LoraDelta, val factor: Float, val rows: RowSpan?)

/** The LoRA layers that adapt one component's weights, merged in the order the LoRAs were given. */
class LoraPatch(private val terms: Map<String, List<LoraTerm>>, override val key: String) : WeightPatch {
    override val names: Set<String> get() = terms.keys

    override fun apply(name: String, values: FloatArray) {
        for (term in terms[name] ?: return) term.layer.addTo(values, term.factor, term.rows)
    }
}

/**
 * One LoRA layer applied to a weight as graph ops: its product times [factor] added to every product with the weight.
 * [stamp] identifies the file it was read from (path, size, modification time).
 */
class LowRankLoraTerm(val layer: LoraLayer, val factor: Float, val stamp: String)

/**
 * How a request's LoRAs apply: [patches] merge into the weights as they load, [lowRank] add graph ops (by component
 * and weight), and [paths] says for each LoRA file (by file name) which way its weights go and why.
 */
class LoraApplication(val patches: Map<ComponentKind, LoraPatch>, val lowRank: Map<ComponentKind, Map<String, List<LowRankLoraTerm>>>,
                      val paths: Map<String, String>)
