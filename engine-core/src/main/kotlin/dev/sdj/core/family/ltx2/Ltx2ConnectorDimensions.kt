package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.Weights

/**
 * The sizes of one `Embeddings1DConnector`, read from its weights (LTX-2.3: video 4096 wide, 32 heads of 128; audio
 * 2048 wide, 32 heads of 64; 8 blocks each; 128 registers).
 *
 * @param width the token width: to_q's outputs
 * @param heads the attention heads: to_gate_logits' outputs (one gate per head); an ungated connector has no tensor
 *   that says, and gets sd.cpp's fallback [Ltx2TextArchitecture.UNGATED_HEADS]
 * @param blocks transformer_1d_blocks.N present
 * @param registers rows of learnable_registers
 * @param feedForward the feed-forward's inner width: ff.net.0.proj's outputs
 * @param gated whether the blocks' attention has to_gate_logits
 */
data class Ltx2ConnectorDimensions(
    val width: Long,
    val heads: Int,
    val blocks: Int,
    val registers: Int,
    val feedForward: Long,
    val gated: Boolean,
) {
    init {
        require(width % heads == 0L && (width / heads) % 2 == 0L) { "$heads heads do not split a width of $width into even heads" }
        require(blocks > 0 && registers > 0) { "a connector needs blocks and registers: $blocks blocks, $registers registers" }
    }

    val headDim: Long get() = width / heads

    /**
     * The connector's sequence for [valid] prompt tokens: at least [Ltx2TextArchitecture.MIN_SEQUENCE], rounded up to
     * whole copies of the registers (sd.cpp append_registers).
     */
    fun sequence(valid: Int): Int = sequence(valid, registers)

    /** The register each position after the prompt holds: (n + j) mod registers for j = 0 … L − n − 1. */
    fun registerRows(valid: Int): IntArray = IntArray(sequence(valid) - valid) { (valid + it) % registers }

    companion object {
        /** [sequence] for a connector of [registers] registers. */
        fun sequence(valid: Int, registers: Int): Int {
            require(valid > 0) { "a prompt has at least one token" }
            val target = maxOf(Ltx2TextArchitecture.MIN_SEQUENCE, valid)
            return (target + registers - 1) / registers * registers
        }

        fun of(w: Weights): Ltx2ConnectorDimensions {
            val block = "transformer_1d_blocks.0"
            val width = w.get("$block.attn1.to_q.weight").ne(1)
            val gate = "$block.attn1.to_gate_logits.weight"
            val gated = w.has(gate)
            return Ltx2ConnectorDimensions(
                width = width,
                heads = if (gated) w.get(gate).ne(1).toInt() else Ltx2TextArchitecture.UNGATED_HEADS,
                blocks = generateSequence(0) { it + 1 }.takeWhile { w.has("transformer_1d_blocks.$it.attn1.to_q.weight") }.count(),
                registers = w.get("learnable_registers").ne(1).toInt(),
                feedForward = w.get("$block.ff.net.0.proj.weight").ne(1),
                gated = gated,
            )
        }
    }
}
