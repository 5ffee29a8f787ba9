package dev.sdj.core.family.t5

import dev.sdj.core.memory.WeightUse
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * T5's tables are read by rows ([T5Encoder] takes rows of the token embedding and of the bias table), so their
 * upload type must suit get_rows, not only mul_mat: a type only the product takes would fail when the graph runs.
 */
class T5WeightUseTest {
    @Test
    fun `the embedding and the bias table are tables, projections matrices, norms vectors`() {
        assertEquals(WeightUse.TABLE, WeightUse.of("shared.weight", listOf(4096, 32128)))
        assertEquals(WeightUse.TABLE, WeightUse.of("encoder.embed_tokens.weight", listOf(4096, 32128)))
        assertEquals(WeightUse.TABLE, WeightUse.of(T5Dimensions.BIAS_TABLE, listOf(64, 32)))
        assertEquals(WeightUse.MATRIX, WeightUse.of("encoder.block.3.layer.1.DenseReluDense.wo.weight", listOf(10240, 4096)))
        assertEquals(WeightUse.VECTOR, WeightUse.of("encoder.block.3.layer.1.layer_norm.weight", listOf(4096)))
    }

    @Test
    fun `other families keep their uses`() {
        assertEquals(WeightUse.TABLE, WeightUse.of("text_model.embeddings.token_embedding.weight", listOf(768, 49408)))
        assertEquals(WeightUse.MATRIX, WeightUse.of("text_model.encoder.layers.0.mlp.fc1.weight", listOf(768, 3072)))
        assertEquals(WeightUse.KERNEL, WeightUse.of("decoder.conv_in.weight", listOf(3, 3, 4, 512)))
    }
}
