package dev.sdj.core.family.gemma3

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Hugging Face's Gemma-3 names to llama.cpp's, which the encoder reads. */
class Gemma3NamesTest {
    @Test
    fun `every tensor of a layer`() {
        val expected = mapOf(
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
        for ((hf, gguf) in expected) assertEquals("blk.47.$gguf.weight", Gemma3Names.canonical("model.layers.47.$hf.weight"), hf)
    }

    @Test
    fun `the three prefixes of the text model`() {
        for (prefix in listOf("model.", "language_model.model.", "model.language_model.")) {
            assertEquals("token_embd.weight", Gemma3Names.canonical("${prefix}embed_tokens.weight"), prefix)
            assertEquals("output_norm.weight", Gemma3Names.canonical("${prefix}norm.weight"), prefix)
            assertEquals("blk.0.attn_q.weight", Gemma3Names.canonical("${prefix}layers.0.self_attn.q_proj.weight"), prefix)
        }
    }

    @Test
    fun `vision, projector, head and unknown names are not the encoder's`() {
        assertNull(Gemma3Names.canonical("vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight"))
        assertNull(Gemma3Names.canonical("multi_modal_projector.mm_input_projection_weight"))
        assertNull(Gemma3Names.canonical("lm_head.weight"))
        assertNull(Gemma3Names.canonical("model.layers.0.self_attn.qkv.weight"))
        assertNull(Gemma3Names.canonical("model.layers.x.self_attn.q_proj.weight"))
        assertNull(Gemma3Names.canonical("blk.0.attn_q.weight"))
    }

    @Test
    fun `norm weights are the ones whose layouts differ`() {
        val norms = listOf("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm", "attn_q_norm", "attn_k_norm").map { "blk.3.$it.weight" } + "output_norm.weight"
        assertTrue(norms.all(Gemma3Names::isNormWeight))
        assertFalse(listOf("blk.3.attn_q.weight", "blk.3.ffn_down.weight", "token_embd.weight").any(Gemma3Names::isNormWeight))
    }

    @Test
    fun `a Hugging Face Gemma-3 is recognised by its q_norm`() {
        assertTrue(Gemma3Names.claimsHuggingFace(listOf("language_model.model.layers.0.self_attn.q_norm.weight")))
        assertFalse(Gemma3Names.claimsHuggingFace(listOf("model.layers.0.self_attn.q_proj.weight", "blk.0.attn_q_norm.weight")))
    }
}
