package dev.sdj.core.family.t5

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** llama.cpp's T5 encoder names (as in gguf-py's tensor map) to the Hugging Face names the encoder reads. */
class T5NamesTest {
    @Test
    fun `every encoder tensor of a block`() {
        val expected = mapOf(
            "enc.blk.0.attn_q.weight" to "encoder.block.0.layer.0.SelfAttention.q.weight",
            "enc.blk.0.attn_k.weight" to "encoder.block.0.layer.0.SelfAttention.k.weight",
            "enc.blk.0.attn_v.weight" to "encoder.block.0.layer.0.SelfAttention.v.weight",
            "enc.blk.0.attn_o.weight" to "encoder.block.0.layer.0.SelfAttention.o.weight",
            "enc.blk.0.attn_rel_b.weight" to "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
            "enc.blk.0.attn_norm.weight" to "encoder.block.0.layer.0.layer_norm.weight",
            "enc.blk.23.ffn_gate.weight" to "encoder.block.23.layer.1.DenseReluDense.wi_0.weight",
            "enc.blk.23.ffn_up.weight" to "encoder.block.23.layer.1.DenseReluDense.wi_1.weight",
            "enc.blk.23.ffn_down.weight" to "encoder.block.23.layer.1.DenseReluDense.wo.weight",
            "enc.blk.23.ffn_norm.weight" to "encoder.block.23.layer.1.layer_norm.weight",
        )
        for ((gguf, hf) in expected) assertEquals(hf, T5Names.canonical(gguf), gguf)
    }

    @Test
    fun `embedding and final norm`() {
        assertEquals("shared.weight", T5Names.canonical("token_embd.weight"))
        assertEquals("encoder.final_layer_norm.weight", T5Names.canonical("enc.output_norm.weight"))
    }

    @Test
    fun `decoder and unknown names are not the encoder's`() {
        assertNull(T5Names.canonical("dec.blk.0.attn_q.weight"))
        assertNull(T5Names.canonical("dec.output_norm.weight"))
        assertNull(T5Names.canonical("output.weight"))
        assertNull(T5Names.canonical("enc.blk.0.attn_qkv.weight"))
        assertNull(T5Names.canonical("enc.blk.x.attn_q.weight"))
        assertNull(T5Names.canonical("enc.blk.0.attn_q.bias"))
    }

    @Test
    fun `a llama cpp T5 encoder is recognised by its first query projection`() {
        assertTrue(T5Names.claims(listOf("token_embd.weight", "enc.blk.0.attn_q.weight")))
        assertFalse(T5Names.claims(listOf("encoder.block.0.layer.0.SelfAttention.q.weight")))
    }
}
