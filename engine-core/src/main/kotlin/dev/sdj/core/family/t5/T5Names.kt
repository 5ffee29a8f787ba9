package dev.sdj.core.family.t5

/**
 * llama.cpp's GGUF names for a T5 encoder (gguf-py's T5 tensor map; city96's T5-XXL GGUFs for Flux use them) to the
 * Hugging Face names [T5Encoder] reads. In the gated feed-forward layer llama.cpp's gate is wi_0, the input of the
 * GELU, and its up is wi_1, the linear factor.
 */
object T5Names {
    private val BLOCK = Regex("""^enc\.blk\.(\d+)\.([a-z_]+)\.weight$""")

    private val IN_BLOCK = mapOf(
        "attn_q" to "layer.0.SelfAttention.q",
        "attn_k" to "layer.0.SelfAttention.k",
        "attn_v" to "layer.0.SelfAttention.v",
        "attn_o" to "layer.0.SelfAttention.o",
        "attn_rel_b" to "layer.0.SelfAttention.relative_attention_bias",
        "attn_norm" to "layer.0.layer_norm",
        "ffn_gate" to "layer.1.DenseReluDense.wi_0",
        "ffn_up" to "layer.1.DenseReluDense.wi_1",
        "ffn_down" to "layer.1.DenseReluDense.wo",
        "ffn_norm" to "layer.1.layer_norm",
    )

    private val TOP = mapOf(
        "token_embd.weight" to "shared.weight",
        "enc.output_norm.weight" to "encoder.final_layer_norm.weight",
    )

    /** The Hugging Face name of a llama.cpp T5 encoder tensor, or null for a name that is none (a decoder's `dec.…`, `output.weight`). */
    fun canonical(gguf: String): String? {
        TOP[gguf]?.let { return it }
        val m = BLOCK.matchEntire(gguf) ?: return null
        val part = IN_BLOCK[m.groupValues[2]] ?: return null
        return "encoder.block.${m.groupValues[1]}.$part.weight"
    }

    /** Whether [names] are a llama.cpp-named T5 encoder (its first block's query projection is there). */
    fun claims(names: Collection<String>): Boolean = "enc.blk.0.attn_q.weight" in names
}
