package dev.sdj.core.family.gemma3

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * Gemma-3's streamable blocks: each decoder layer `blk.N` (llama.cpp names), in the order the encoder runs them.
 * The token embedding (1.9 GiB in bf16 for 12B, of which a prompt reads only its rows) and the final norm are core.
 */
object Gemma3Blocks {
    private val BLOCK = Regex("""^(blk\.(\d+))\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    val ORDER: Comparator<String> = compareBy { it.substringAfter('.').toInt() }

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
