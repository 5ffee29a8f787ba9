package dev.sdj.core.family.gemma3

/**
 * Gemma-3's canonical names are llama.cpp's (the GGUF files users download: `token_embd.weight`, `blk.N.attn_q.weight`,
 * …, `output_norm.weight`); this maps Hugging Face safetensors names onto them. The text model's tensors sit under
 * `model.` (Gemma3ForCausalLM), `language_model.model.` (Gemma3ForConditionalGeneration as older transformers save it)
 * or `model.language_model.` (as newer ones do); the vision tower, the projector and `lm_head` (tied to the
 * embedding) are no part of the encoder and map to null.
 *
 * The mapping renames only. What the two layouts store in a norm weight differs (see [Gemma3NormWeights]): a model
 * read through this mapping is built with [Gemma3NormWeights.HUGGING_FACE].
 */
object Gemma3Names {
    const val EMBEDDING = "token_embd.weight"
    const val FINAL_NORM = "output_norm.weight"

    private val PREFIX = Regex("""^(?:model\.language_model\.|language_model\.model\.|model\.)""")
    private val LAYER = Regex("""^layers\.(\d+)\.(.+)\.weight$""")

    /**
     * HF names → llama.cpp's (gguf-py's tensor map for Gemma-3): the sandwich norms are input_layernorm → attn_norm,
     * post_attention_layernorm → post_attention_norm, pre_feedforward_layernorm → ffn_norm (the MLP's input norm,
     * despite the name) and post_feedforward_layernorm → post_ffw_norm.
     */
    private val IN_LAYER = mapOf(
        "input_layernorm" to "attn_norm",
        "self_attn.q_proj" to "attn_q",
        "self_attn.k_proj" to "attn_k",
        "self_attn.v_proj" to "attn_v",
        "self_attn.o_proj" to "attn_output",
        "self_attn.q_norm" to "attn_q_norm",
        "self_attn.k_norm" to "attn_k_norm",
        "post_attention_layernorm" to "post_attention_norm",
        "pre_feedforward_layernorm" to "ffn_norm",
        "post_feedforward_layernorm" to "post_ffw_norm",
        "mlp.gate_proj" to "ffn_gate",
        "mlp.up_proj" to "ffn_up",
        "mlp.down_proj" to "ffn_down",
    )

    private val TOP = mapOf("embed_tokens.weight" to EMBEDDING, "norm.weight" to FINAL_NORM)

    /** The llama.cpp name of a Hugging Face Gemma-3 text-model tensor, or null for one that is not the encoder's. */
    fun canonical(hf: String): String? {
        val m = PREFIX.find(hf) ?: return null
        val rest = hf.substring(m.range.last + 1)
        TOP[rest]?.let { return it }
        val layer = LAYER.matchEntire(rest) ?: return null
        val part = IN_LAYER[layer.groupValues[2]] ?: return null
        return "blk.${layer.groupValues[1]}.$part.weight"
    }

    /**
     * The Hugging Face name of a llama.cpp Gemma-3 name, as Gemma3ForConditionalGeneration checkpoints store it
     * (`language_model.model.`): [canonical]'s inverse, for writing generated models in Hugging Face's layout.
     */
    fun huggingFace(canonical: String): String {
        TOP.entries.firstOrNull { it.value == canonical }?.let { return HF_PREFIX + it.key }
        val m = Regex("""^blk\.(\d+)\.(.+)\.weight$""").matchEntire(canonical)
        val part = m?.let { IN_LAYER.entries.firstOrNull { e -> e.value == it.groupValues[2] }?.key }
            ?: throw IllegalArgumentException("'$canonical' is not a Gemma-3 text-model tensor")
        return "${HF_PREFIX}layers.${m.groupValues[1]}.$part.weight"
    }

    private const val HF_PREFIX = "language_model.model."

    /** Whether [name] (llama.cpp's) is a Gemma RMS-norm weight: the ones the two layouts store differently. */
    fun isNormWeight(name: String): Boolean = name.endsWith("norm.weight")

    /** Whether [names] hold a Hugging Face Gemma-3 text model (its first layer's q_norm, which Gemma-2 has not). */
    fun claimsHuggingFace(names: Collection<String>): Boolean =
        names.any { canonical(it) == "blk.0.attn_q_norm.weight" }
}

/**
 * What a Gemma RMS norm's stored weight w means. Gemma normalises to x̂·(1 + w) (Hugging Face's Gemma3RMSNorm stores
 * w, initialised at 0); llama.cpp's converter adds the 1 when it writes a GGUF, so a GGUF's norm weights are 1 + w
 * and its graph multiplies by them (stable-diffusion.cpp's GEMMA3_12B does the same, rms_norm_add off). Both layouts
 * compute the same function: the graph multiplies by the weight and, for [HUGGING_FACE], adds x̂ once more, as
 * stable-diffusion.cpp's rms_norm_add does. Every norm weight is affected: the four sandwich norms, q_norm, k_norm
 * and the final norm.
 */
enum class Gemma3NormWeights {
    /** llama.cpp GGUF: the stored weight is 1 + w. */
    ONE_PLUS_W,

    /** Hugging Face safetensors renamed by [Gemma3Names]: the stored weight is w. */
    HUGGING_FACE,
}
