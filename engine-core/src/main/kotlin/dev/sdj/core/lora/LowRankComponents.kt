package dev.sdj.core.lora

import dev.sdj.core.graph.LowRankAdapter
import dev.sdj.core.model.Component
import dev.sdj.core.model.TensorRef

/**
 * A component with LoRAs applied as graph ops: each term's down and up become parameter tensors of the component,
 * read from the LoRA file, named after the weight they adapt (so a streamed block carries its own adapters) and kept
 * in f32 (they are small: rank × (in + out) values), shaped for the op that reads the weight — a linear layer's down
 * [in, rank] and up [rank, out], a convolution's (LoCon) down a kernel [KW, KH, Cin, rank] and up [1, 1, rank, Cout].
 */
object LowRankComponents {

    /**
     * [component] with the terms of [terms] (by weight) as adapters, each of the file it was read from ([LowRankAdapter.source]);
     * the names differ for every LoRA file and layer, and a file named twice shares its tensors between its terms.
     */
    fun adapt(component: Component, terms: Map<String, List<LowRankLoraTerm>>): Component {
        val tensors = LinkedHashMap(component.tensors)
        val adapters = LinkedHashMap<String, List<LowRankAdapter>>()
        for ((weight, list) in terms) {
            val shape = component.tensors.getValue(weight).shape
            adapters[weight] = list.map { term ->
                val (up, down) = term.layer.sources ?: throw IllegalArgumentException("LoRA layer '${term.layer.key}' was not read from a file")
                val rank = term.layer.rank.toLong()
                // Named by file and layer alone, so the same LoRA keeps its tensors whatever else the set holds or weighs.
                val tag = "$weight.lora_low_rank.${Integer.toHexString((term.stamp + "\u0000" + term.layer.key).hashCode())}"
                val (downShape, upShape) = when (shape.size) {
                    2 -> listOf(shape[0], rank) to listOf(rank, shape[1])
                    4 -> (shape.take(3) + rank) to listOf(1L, 1L, rank, shape[3])
                    else -> throw IllegalArgumentException("weight '$weight' ${shape}: a LoRA adds graph ops only to linear layers and 2-D convolutions")
                }
                tensors["$tag.down"] = TensorRef(down.file, down.info, downShape)
                tensors["$tag.up"] = TensorRef(up.file, up.info, upShape)
                LowRankAdapter("$tag.down", "$tag.up", term.factor, term.stamp)
            }
        }
        val names = adapters.values.flatten().flatMap { listOf(it.down, it.up) }
        return component.copy(tensors = tensors, keptF32 = component.keptF32 + names, adapters = adapters)
    }
}
