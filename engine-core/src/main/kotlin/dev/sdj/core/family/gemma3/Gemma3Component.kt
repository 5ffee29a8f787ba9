package dev.sdj.core.family.gemma3

import dev.sdj.api.ModelFileException
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind

/**
 * What an assembled Gemma-3 text-encoder component says beyond its tensors: which layout its norm weights are stored
 * in, and whether it is whole. Its tensors are under llama.cpp's names; the name each had in its file tells where it
 * came from: unchanged for a llama.cpp GGUF (norm weights stored as 1 + w), renamed from Hugging Face's.
 */
object Gemma3Component {
    /** The tensors of one decoder layer, by their name after `blk.N.`. */
    private val LAYER_TENSORS = listOf(
        "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm",
        "post_attention_norm", "ffn_norm", "post_ffw_norm", "ffn_gate", "ffn_up", "ffn_down",
    ).map { "$it.weight" }

    private val LAYER = Regex("""^blk\.(\d+)\.""")

    /** The norm layout of [model]'s text encoder (LTX-2's Gemma-3), to build [Gemma3Encoder] with. */
    fun normWeights(model: AssembledModel): Gemma3NormWeights = normWeights(
        model.components[ComponentKind.TEXT_ENCODER] ?: throw UnsupportedModelException(
            "the model has no Gemma-3 text encoder: pass Gemma-3 12B (the llama.cpp GGUF gemma-3-12b-it-*.gguf, or the " +
                "Hugging Face safetensors of google/gemma-3-12b-it) with the other files"))

    /**
     * [Gemma3NormWeights.ONE_PLUS_W] when the norm weights kept their llama.cpp names, [Gemma3NormWeights.HUGGING_FACE]
     * when they were renamed from Hugging Face's; a component mixing both is refused, naming a tensor of each.
     */
    fun normWeights(gemma: Component): Gemma3NormWeights {
        val norms = gemma.tensors.filterKeys(Gemma3Names::isNormWeight)
        val (llamaCpp, huggingFace) = norms.entries.partition { (name, ref) -> ref.info.name == name }
        if (llamaCpp.isNotEmpty() && huggingFace.isNotEmpty()) {
            val one = llamaCpp.first().value
            val other = huggingFace.first().value
            throw ModelFileException(other.file.path, other.info.name, "is a Hugging Face Gemma-3 norm weight (stored as w), but " +
                "'${one.info.name}' in ${one.file.path} is llama.cpp's (stored as 1 + w); give Gemma-3 in one format")
        }
        return if (huggingFace.isNotEmpty()) Gemma3NormWeights.HUGGING_FACE else Gemma3NormWeights.ONE_PLUS_W
    }

    /**
     * The embedding, the final norm and every tensor of layers 0 … N−1 must be there, so that [Gemma3Dimensions] (which
     * counts layers up to the first gap) never builds a shorter stack than the files hold. A missing one is named with
     * the file that holds the component's embedding or first tensor.
     *
     * @return the number of decoder layers
     */
    fun requireComplete(gemma: Component): Int {
        val anchor = (gemma.tensors[Gemma3Names.EMBEDDING] ?: gemma.tensors.values.first())
        fun missing(name: String, why: String): Nothing = throw ModelFileException(anchor.file.path, null,
            "Gemma-3 text encoder lacks '$name' ($why); pass the whole Gemma-3 model (every shard of it)")
        for (name in listOf(Gemma3Names.EMBEDDING, Gemma3Names.FINAL_NORM)) {
            if (name !in gemma.tensors) missing(name, "its ${if (name == Gemma3Names.EMBEDDING) "token embedding" else "final norm"}")
        }
        val layers = gemma.tensors.keys.mapNotNull { LAYER.find(it)?.groupValues?.get(1)?.toInt() }.toSortedSet()
        if (layers.isEmpty()) missing("blk.0.attn_q.weight", "it has no decoder layers at all")
        for (i in 0..layers.last()) {
            for (t in LAYER_TENSORS) if ("blk.$i.$t" !in gemma.tensors) missing("blk.$i.$t", "layers up to ${layers.last()} are given")
        }
        return layers.last() + 1
    }
}
