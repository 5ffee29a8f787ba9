package dev.sdj.core.family.ltx2

import dev.sdj.core.family.gemma3.Gemma3Dimensions

/**
 * The sizes of LTX-2's conditioner: its Gemma-3 text encoder and the two connectors. The aggregate projections take
 * every hidden state (the embedding's and each layer's), [featureWidth] = hidden × (layers + 1).
 */
data class Ltx2TextShapes(val gemma: Gemma3Dimensions, val video: Ltx2ConnectorDimensions, val audio: Ltx2ConnectorDimensions) {
    val featureWidth: Long get() = gemma.hidden * (gemma.layers + 1)

    companion object {
        /**
         * A tiny conditioner for tests: Gemma 64 wide, 4 heads on 2 key/value heads of 16, feed-forward 128, 6 layers
         * (layer 5 global), 320 tokens; connectors as the ltx2 tests' Ltx2TinyText has them (video 64 wide, audio 32, 4
         * heads, 2 blocks, 128 registers, gated).
         */
        val TINY = Ltx2TextShapes(
            Gemma3Dimensions(hidden = 64, heads = 4, kvHeads = 2, headDim = 16, feedForward = 128, layers = 6, vocabulary = 320),
            Ltx2ConnectorDimensions(width = 64, heads = 4, blocks = 2, registers = 128, feedForward = 256, gated = true),
            Ltx2ConnectorDimensions(width = 32, heads = 4, blocks = 2, registers = 128, feedForward = 128, gated = true),
        )

        /**
         * LTX-2.3's: Gemma-3 12B (3840 wide, 16 heads on 8 key/value heads of 256, feed-forward 15 360, 48 layers,
         * 262 208 tokens), so features of 49 × 3840 = 188 160; the video connector 4096 wide and the audio one 2048,
         * each 32 gated heads, 8 blocks, feed-forward ×4 and 128 registers.
         */
        val LTX_2_3 = Ltx2TextShapes(
            Gemma3Dimensions(hidden = 3840, heads = 16, kvHeads = 8, headDim = 256, feedForward = 15360, layers = 48, vocabulary = 262208),
            Ltx2ConnectorDimensions(width = 4096, heads = 32, blocks = 8, registers = 128, feedForward = 16384, gated = true),
            Ltx2ConnectorDimensions(width = 2048, heads = 32, blocks = 8, registers = 128, feedForward = 8192, gated = true),
        )
    }
}
