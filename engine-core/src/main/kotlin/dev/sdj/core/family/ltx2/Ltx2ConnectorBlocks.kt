package dev.sdj.core.family.ltx2

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * The text connectors' streamable blocks, in the order [Ltx2TextContext] reads them: the video aggregate projection
 * (188 160 × 4096 in LTX-2.3, 1.4 GiB in bf16), the video connector's blocks, then the audio projection and the audio
 * connector's blocks. At LTX-2.3's size the connectors outweigh Gemma-3 in Q4_0, so a card that must stream Gemma must
 * stream them too. The learnable registers are core: each connector reads its own before its first block.
 */
object Ltx2ConnectorBlocks {
    private val BLOCK = Regex("""^(text_embedding_projection\.(?:video|audio)_aggregate_embed|(?:video|audio)_embeddings_connector\.transformer_1d_blocks\.\d+)\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    /** Video before audio; in each, the projection, then the blocks by number. */
    val ORDER: Comparator<String> = compareBy<String>({ if (it.contains("video")) 0 else 1 }, { if (it.startsWith("text_embedding_projection")) -1 else it.substringAfterLast('.').toInt() })

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
