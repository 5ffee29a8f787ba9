package dev.sdj.core.family.flux

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * The Flux DiT's streamable blocks: every double block, then every single block, in the order the model runs them,
 * in Black Forest Labs' names (`double_blocks.N`, `single_blocks.N`) or diffusers' (`transformer_blocks.N`,
 * `single_transformer_blocks.N`). The embedders and the final layer are small and stay resident.
 */
object FluxDitBlocks {
    private val BLOCK = Regex("""^((double_blocks|single_blocks|transformer_blocks|single_transformer_blocks)\.(\d+))\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    val ORDER: Comparator<String> = compareBy<String>({ if (it.startsWith("single_")) 1 else 0 }, { it.substringAfterLast('.').toInt() })

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
