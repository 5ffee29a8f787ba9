package dev.sdj.core.family.ltx2

import dev.sdj.core.memory.ParamSpec
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/**
 * The connectors' streaming units in the order the context graph reads them (the engine's streamed runs in
 * Ltx2ConditioningTest check that order against the real graph: the scheduler refuses a graph that reads out of it).
 */
class Ltx2ConnectorBlocksTest {
    @Test
    fun `video projection and blocks, then audio projection and blocks, the registers core`() {
        val names = listOf(
            "audio_embeddings_connector.transformer_1d_blocks.1.attn1.to_q.weight",
            "video_embeddings_connector.learnable_registers",
            "text_embedding_projection.audio_aggregate_embed.weight",
            "video_embeddings_connector.transformer_1d_blocks.10.ff.net.2.weight",
            "video_embeddings_connector.transformer_1d_blocks.2.attn1.to_k.weight",
            "text_embedding_projection.video_aggregate_embed.bias",
            "audio_embeddings_connector.transformer_1d_blocks.0.attn1.to_q.weight",
            "text_embedding_projection.video_aggregate_embed.weight",
            "audio_embeddings_connector.learnable_registers",
        )
        val s = Ltx2ConnectorBlocks.of(names.map { ParamSpec(it, GgmlType.F32, listOf(4L)) })
        assertEquals(listOf(
            "text_embedding_projection.video_aggregate_embed",
            "video_embeddings_connector.transformer_1d_blocks.2",
            "video_embeddings_connector.transformer_1d_blocks.10",
            "text_embedding_projection.audio_aggregate_embed",
            "audio_embeddings_connector.transformer_1d_blocks.0",
            "audio_embeddings_connector.transformer_1d_blocks.1",
        ), s.blocks.map { it.name })
        assertEquals(2, s.blocks[0].specs.size, "the projection's weight and bias")
        assertEquals(setOf("video_embeddings_connector.learnable_registers", "audio_embeddings_connector.learnable_registers"),
            s.core.map { it.name }.toSet())
    }
}
