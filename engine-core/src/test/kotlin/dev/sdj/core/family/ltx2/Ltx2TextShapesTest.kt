package dev.sdj.core.family.ltx2

import dev.sdj.core.model.DType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/**
 * The full-size conditioner the benchmark writes has LTX-2.3's published sizes: Gemma-3 12B's text model is 11.77
 * billion parameters (Google's 12.2 B includes the 0.4 B vision tower), the aggregate projections take 49 × 3840 =
 * 188 160 features, and a video connector block is 4·(4096² + 4096) attention + 2·4096 q/k norms + 32·(4096 + 1)
 * gates + (16384·4096 + 16384) + (4096·16384 + 4096) feed-forward = 201 502 752 parameters.
 */
class Ltx2TextShapesTest {
    private val full = TinyLtx2Text(Ltx2TextShapes.LTX_2_3, gemmaType = DType.Q4_K)

    private fun parameters(entries: List<TinyLtx2Text.Entry>) = entries.sumOf { e -> e.torchShape.fold(1L) { a, b -> a * b } }

    @Test
    fun `Gemma-3 12B's text model has 11_77 billion parameters in 626 tensors`() {
        assertEquals(1 + 48 * 13 + 1, full.gemmaTensors.size)
        val billions = parameters(full.gemmaTensors) / 1e9
        assertTrue(billions in 11.76..11.78, "$billions billion")
        assertEquals(262_208, full.vocabulary.size)
    }

    @Test
    fun `the projections take every hidden state and a video block is 201_5 million parameters`() {
        assertEquals(188_160L, Ltx2TextShapes.LTX_2_3.featureWidth)
        assertEquals(listOf(4096L, 188_160L), full.projectionTensors.first().torchShape)
        val block = full.connectorTensors.filter { it.name.startsWith("video_embeddings_connector.transformer_1d_blocks.0.") }
        assertEquals(201_502_752L, parameters(block))
    }

    /** As llama.cpp's quantize: 1-D tensors stay f32, matrices take the type when their rows are whole blocks. */
    @Test
    fun `norms stay f32 and the matrices are quantized`() {
        val types = full.gemmaTensors.associate { it.name to full.gemmaTypeOf(it) }
        assertEquals(DType.F32, types["blk.0.attn_q_norm.weight"])
        assertEquals(DType.Q4_K, types["blk.0.attn_q.weight"])
        assertEquals(DType.Q4_K, types["token_embd.weight"])
        val tiny = TinyLtx2Text(gemmaType = DType.Q4_K)
        assertEquals(DType.F16, tiny.gemmaTypeOf(tiny.gemmaTensors.first { it.name == "blk.0.ffn_up.weight" }), "64-wide rows are no whole Q4_K block")
    }
}
