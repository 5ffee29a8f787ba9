package dev.sdj.core.family.flux

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * The Flux DiT's streamable blocks: every double block, then every single block, in the order the model runs them.
 * The embedders and the final layer are small and stay resident.
 */
object FluxDitBlocks {
    private val BLOCK = Regex("""^((double|single)_blocks\.(\d+))\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    val ORDER: Comparator<String> = compareBy<String>({ if (it.startsWith("double_")) 0 else 1 }, { it.substringAfterLast('.').toInt() })

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
