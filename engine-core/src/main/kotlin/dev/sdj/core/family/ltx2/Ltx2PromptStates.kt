package dev.sdj.core.family.ltx2

/**
 * What Gemma's phase hands to the connectors for one prompt: the hidden states of the stack's last [kept] tokens,
 * f32 [hidden, kept, planes] in ggml order, of which the last [valid] are the prompt's own (`<bos>` and its tokens).
 * Prompts encoded by one graph share [kept] (the longest of them), so a shorter one has padding rows first.
 */
class Ltx2PromptStates(val states: FloatArray, val hidden: Long, val kept: Int, val planes: Long, val valid: Int) {
    init {
        require(valid in 1..kept && states.size.toLong() == hidden * kept * planes) {
            "a stack of $hidden × $kept × $planes with $valid prompt tokens cannot hold ${states.size} values"
        }
    }
}
