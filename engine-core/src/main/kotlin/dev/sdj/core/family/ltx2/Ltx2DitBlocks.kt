package dev.sdj.core.family.ltx2

import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec

/**
 * The DiT's streamable blocks: `transformer_blocks.N` in numeric order, as [Ltx2DitGraph] runs them (each reads only
 * its own weights, in one stretch). Patchify projections, the AdaLN-single modules, the output tables and projections
 * are small and stay resident. At LTX-2.3's size a block is ≈ 387 M parameters (0.72 GiB in bf16).
 */
object Ltx2DitBlocks {
    private val BLOCK = Regex("""^(?:model\.diffusion_model\.)?(transformer_blocks\.\d+)\.""")

    fun blockOf(name: String): String? = BLOCK.find(name)?.groupValues?.get(1)

    val ORDER: Comparator<String> = compareBy { it.substringAfterLast('.').toInt() }

    fun of(specs: List<ParamSpec>): BlockStructure = BlockStructure.of(specs, ::blockOf, ORDER)
}
