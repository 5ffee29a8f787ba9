package dev.sdj.core.model

import dev.sdj.core.bench.GenerationBenchmark
import dev.sdj.core.family.sd.SdTensorLayout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class SdCppTypeRuleTest {
    private val layout = SdTensorLayout(GenerationBenchmark.SD15)
    private val tensors = listOf("model.diffusion_model." to layout.unet(), "cond_stage_model.transformer." to layout.clip(),
        "first_stage_model." to layout.vae()).flatMap { (prefix, entries) -> entries.map { prefix + it.ldm to it.torchShape.reversed() } }

    @Test
    fun `an SD 1_5 checkpoint at q8_0 gets its linear weights and its norm scales quantized, as sd-cpp converts it`() {
        val quantized = tensors.filter { (name, shape) -> SdCppTypeRule.converts(name, shape, DType.Q8_0) }
        assertEquals(440, quantized.size)
        assertEquals(186, quantized.count { it.second.size == 1 }, "1-D norm scales")
        assertEquals(tensors.size - 440, tensors.count { (name, shape) -> !SdCppTypeRule.converts(name, shape, DType.Q8_0) })
    }

    @Test
    fun `biases, embeddings, the time embedding and kernels whose rows are not whole blocks keep their type`() {
        assertFalse(SdCppTypeRule.converts("model.diffusion_model.out.2.bias", listOf(320), DType.Q8_0))
        assertFalse(SdCppTypeRule.converts("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight", listOf(768, 49408), DType.Q8_0))
        assertFalse(SdCppTypeRule.converts("model.diffusion_model.time_embed.0.weight", listOf(320, 1280), DType.Q8_0))
        assertFalse(SdCppTypeRule.converts("model.diffusion_model.input_blocks.1.0.in_layers.2.weight", listOf(3, 3, 320, 320), DType.Q8_0))
        assertFalse(SdCppTypeRule.converts("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight", listOf(320, 320), DType.Q4_K), "320 is no multiple of 256")
        assertTrue(SdCppTypeRule.converts("model.diffusion_model.input_blocks.1.1.norm.weight", listOf(320), DType.Q8_0))
        assertEquals(DType.F16, SdCppTypeRule.typeFor("first_stage_model.decoder.conv_in.bias", listOf(512), DType.F16, DType.Q4_0))
    }
}
