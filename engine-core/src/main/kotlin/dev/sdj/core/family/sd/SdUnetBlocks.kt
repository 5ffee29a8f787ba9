package dev.sdj.core.family.sd

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * The LDM UNet's streamable blocks: each input block, the middle block and each output block, in the order the
 * UNet runs them. The timestep embedding and the output layers are small and stay resident.
 */
object SdUnetBlocks {
    private val BLOCK = Regex("""^(input_blocks\.(\d+)|middle_block|output_blocks\.(\d+))\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    /** Input blocks by index, then the middle block, then output blocks by index. */
    val ORDER: Comparator<String> = compareBy<String>({ rank(it) }, { it.substringAfterLast('.').toIntOrNull() ?: 0 })

    private fun rank(block: String) = when {
        block.startsWith("input_blocks.") -> 0
        block == "middle_block" -> 1
        else -> 2
    }

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
