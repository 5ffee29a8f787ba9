package dev.sdj.core.family.sd

/**
 * Renames a diffusers AutoencoderKL's tensors to the original LDM names. Diffusers numbers the decoder's up blocks
 * from the lowest resolution, LDM from the highest, so decoder up block i is LDM up (n − 1 − i). The mid-block
 * attention is linear in diffusers and 1×1 convolution in LDM: same bytes, so [reshapedToConv] names those.
 */
class DiffusersVaeNames(names: Collection<String>) {
    private val decoderUpBlocks: Int = names.mapNotNull { DECODER_UP.find(it)?.groupValues?.get(1)?.toInt() }.maxOrNull()?.plus(1) ?: 0

    fun canonical(name: String): String? {
        if (name.startsWith("quant_conv.") || name.startsWith("post_quant_conv.")) return name
        val side = name.substringBefore('.')
        if (side != "encoder" && side != "decoder") return null
        val rest = name.removePrefix("$side.")
        val mapped = when {
            rest.startsWith("conv_in.") || rest.startsWith("conv_out.") -> rest
            rest.startsWith("conv_norm_out.") -> "norm_out." + rest.removePrefix("conv_norm_out.")
            else -> block(side, rest) ?: mid(rest) ?: return null
        }
        return "$side.$mapped"
    }

    private fun block(side: String, rest: String): String? {
        val m = BLOCK.matchEntire(rest) ?: return null
        val (kind, index, sub, layer, tail) = m.destructured
        val i = if (side == "decoder") decoderUpBlocks - 1 - index.toInt() else index.toInt()
        val ldmSide = if (kind == "down_blocks") "down" else "up"
        return when (sub) {
            "resnets" -> "$ldmSide.$i.block.$layer.${resnet(tail) ?: return null}"
            "downsamplers" -> if (tail.startsWith("conv.")) "$ldmSide.$i.downsample.$tail" else null
            "upsamplers" -> if (tail.startsWith("conv.")) "$ldmSide.$i.upsample.$tail" else null
            else -> null
        }
    }

    private fun mid(rest: String): String? {
        val m = MID.matchEntire(rest) ?: return null
        val (sub, layer, tail) = m.destructured
        return when (sub) {
            "resnets" -> "mid.block_${layer.toInt() + 1}.${resnet(tail) ?: return null}"
            else -> {
                val part = tail.substringBeforeLast('.')
                ATTENTION[part]?.let { "mid.attn_1.$it.${tail.substringAfterLast('.')}" }
            }
        }
    }

    private fun resnet(tail: String): String? {
        val part = tail.substringBeforeLast('.')
        val renamed = if (part == "conv_shortcut") "nin_shortcut" else part.takeIf { it in RESNET_PARTS } ?: return null
        return "$renamed.${tail.substringAfterLast('.')}"
    }

    companion object {
        private val DECODER_UP = Regex("""^decoder\.up_blocks\.(\d+)\.""")
        private val BLOCK = Regex("""(down_blocks|up_blocks)\.(\d+)\.(resnets|downsamplers|upsamplers)\.(\d+)\.(.+)""")
        private val MID = Regex("""mid_block\.(resnets|attentions)\.(\d+)\.(.+)""")
        private val RESNET_PARTS = setOf("norm1", "conv1", "norm2", "conv2")

        /** Both the current diffusers attention names and the older ones (query/key/value/proj_attn). */
        private val ATTENTION = mapOf(
            "group_norm" to "norm",
            "to_q" to "q", "to_k" to "k", "to_v" to "v", "to_out.0" to "proj_out",
            "query" to "q", "key" to "k", "value" to "v", "proj_attn" to "proj_out",
        )

        /** LDM names whose diffusers tensors are linear weights [C, C] stored as 1×1 convolutions [C, C, 1, 1]. */
        fun reshapedToConv(canonical: String): Boolean =
            canonical.contains(".mid.attn_1.") && canonical.endsWith(".weight") && !canonical.contains(".norm.")

        fun looksLikeDiffusersVae(names: Collection<String>): Boolean =
            names.any { it.startsWith("encoder.down_blocks.") || it.startsWith("decoder.up_blocks.") }
    }
}
