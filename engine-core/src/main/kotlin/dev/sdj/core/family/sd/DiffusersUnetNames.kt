package dev.sdj.core.family.sd

/**
 * Renames a diffusers UNet2DConditionModel's tensors to the original LDM names (the SD family's canonical names).
 * Diffusers numbers resnets and attentions within each down/up block; LDM numbers the blocks flat: down block i,
 * layer j is input block 1 + 3i + j (each down block has two layers and a downsampler at input block 3(i+1)); up
 * block i, layer j is output block 3i + j, and its upsampler sits after the layer's attention when it has one.
 */
class DiffusersUnetNames(names: Collection<String>) {
    private val upBlocksWithAttention: Set<Int> = names.mapNotNull { UP_ATTENTION.find(it)?.groupValues?.get(1)?.toInt() }.toSet()

    /** The LDM name, or null when [name] is not part of a diffusers UNet. */
    fun canonical(name: String): String? {
        TOP_LEVEL[name.substringBeforeLast('.')]?.let { return it + "." + name.substringAfterLast('.') }
        DOWN.matchEntire(name)?.let { m ->
            val (block, kind, layer, rest) = m.destructured
            val i = block.toInt()
            return when (kind) {
                "resnets" -> "input_blocks.${1 + 3 * i + layer.toInt()}.0.${resnet(rest) ?: return null}"
                "attentions" -> "input_blocks.${1 + 3 * i + layer.toInt()}.1.$rest"
                else -> if (layer == "0" && rest.startsWith("conv.")) "input_blocks.${3 * (i + 1)}.0.op.${rest.removePrefix("conv.")}" else null
            }
        }
        UP.matchEntire(name)?.let { m ->
            val (block, kind, layer, rest) = m.destructured
            val i = block.toInt()
            return when (kind) {
                "resnets" -> "output_blocks.${3 * i + layer.toInt()}.0.${resnet(rest) ?: return null}"
                "attentions" -> "output_blocks.${3 * i + layer.toInt()}.1.$rest"
                else -> {
                    val slot = if (i in upBlocksWithAttention) 2 else 1
                    if (layer == "0" && rest.startsWith("conv.")) "output_blocks.${3 * i + 2}.$slot.$rest" else null
                }
            }
        }
        MID.matchEntire(name)?.let { m ->
            val (kind, layer, rest) = m.destructured
            return when {
                kind == "attentions" && layer == "0" -> "middle_block.1.$rest"
                kind == "resnets" -> "middle_block.${2 * layer.toInt()}.${resnet(rest) ?: return null}"
                else -> null
            }
        }
        return null
    }

    private fun resnet(rest: String): String? {
        val part = rest.substringBeforeLast('.')
        val suffix = rest.substringAfterLast('.')
        return RESNET[part]?.let { "$it.$suffix" }
    }

    companion object {
        private val DOWN = Regex("""down_blocks\.(\d+)\.(resnets|attentions|downsamplers)\.(\d+)\.(.+)""")
        private val UP = Regex("""up_blocks\.(\d+)\.(resnets|attentions|upsamplers)\.(\d+)\.(.+)""")
        private val MID = Regex("""mid_block\.(resnets|attentions)\.(\d+)\.(.+)""")
        private val UP_ATTENTION = Regex("""^up_blocks\.(\d+)\.attentions\.""")

        private val TOP_LEVEL = mapOf(
            "conv_in" to "input_blocks.0.0",
            "time_embedding.linear_1" to "time_embed.0",
            "time_embedding.linear_2" to "time_embed.2",
            "add_embedding.linear_1" to "label_emb.0.0",
            "add_embedding.linear_2" to "label_emb.0.2",
            "conv_norm_out" to "out.0",
            "conv_out" to "out.2",
        )

        private val RESNET = mapOf(
            "norm1" to "in_layers.0",
            "conv1" to "in_layers.2",
            "time_emb_proj" to "emb_layers.1",
            "norm2" to "out_layers.0",
            "conv2" to "out_layers.3",
            "conv_shortcut" to "skip_connection",
        )

        /** Whether a file's names are a diffusers UNet's. */
        fun looksLikeDiffusersUnet(names: Collection<String>): Boolean =
            names.any { it.startsWith("down_blocks.") } && names.any { it.startsWith("conv_in.") } &&
                names.any { it.startsWith("time_embedding.") }
    }
}
