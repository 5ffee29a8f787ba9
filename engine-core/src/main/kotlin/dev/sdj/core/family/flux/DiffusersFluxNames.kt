package dev.sdj.core.family.flux

/**
 * Where each of diffusers' FluxTransformer2DModel tensors lies in Black Forest Labs' DiT: most are a BFL tensor
 * renamed, q, k and v (and a single block's MLP input) are consecutive row ranges of the fused BFL projection, and the
 * final modulation is BFL's with its two halves swapped. [DiffusersFluxLayout] reads the same correspondence at graph
 * time; this states it per tensor, so a generator can write both layouts from the same bytes and a check can expect
 * diffusers' tensors from [FluxTensorLayout]'s.
 *
 * @param hidden the DiT's width: the rows of each of q, k and v in a fused projection
 */
class DiffusersFluxNames(private val hidden: Long) {
    /**
     * One diffusers tensor: rows [firstRow, firstRow + torchShape[0]) of the BFL tensor [bfl] (a 1-D tensor's values
     * count as rows), or with [halvesSwapped] all of it, second half first.
     */
    class Part(val name: String, val torchShape: List<Long>, val bfl: String, val firstRow: Long, val halvesSwapped: Boolean)

    /** The diffusers tensors [entry] holds, in row order. */
    fun parts(entry: FluxTensorLayout.Entry): List<Part> {
        val names = targets(entry.name)
        val rows = entry.torchShape[0]
        val tail = entry.torchShape.drop(1)
        if (names.size == 1) {
            return listOf(Part(names[0], entry.torchShape, entry.name, 0, entry.name.startsWith("$FINAL_MODULATION.")))
        }
        // Fused q, k, v take the hidden width each; a single block's linear1 ends with the MLP's input rows.
        val widths = List(3) { hidden } + if (names.size == 4) listOf(rows - 3 * hidden) else emptyList()
        require(widths.sum() == rows && widths.all { it > 0 }) { "${entry.name}: $rows rows do not split into ${names.size} parts of a $hidden-wide DiT" }
        var first = 0L
        return names.zip(widths).map { (name, width) -> Part(name, listOf(width) + tail, entry.name, first, false).also { first += width } }
    }

    fun parts(entries: List<FluxTensorLayout.Entry>): List<Part> = entries.flatMap { parts(it) }

    companion object {
        private const val FINAL_MODULATION = "final_layer.adaLN_modulation.1"

        private val TOP = mapOf(
            "img_in" to "x_embedder",
            "txt_in" to "context_embedder",
            "time_in.in_layer" to "time_text_embed.timestep_embedder.linear_1",
            "time_in.out_layer" to "time_text_embed.timestep_embedder.linear_2",
            "vector_in.in_layer" to "time_text_embed.text_embedder.linear_1",
            "vector_in.out_layer" to "time_text_embed.text_embedder.linear_2",
            "guidance_in.in_layer" to "time_text_embed.guidance_embedder.linear_1",
            "guidance_in.out_layer" to "time_text_embed.guidance_embedder.linear_2",
            "final_layer.linear" to "proj_out",
            FINAL_MODULATION to "norm_out.linear",
        )

        private val DOUBLE = mapOf(
            "img_mod.lin" to listOf("norm1.linear"),
            "txt_mod.lin" to listOf("norm1_context.linear"),
            "img_attn.qkv" to listOf("attn.to_q", "attn.to_k", "attn.to_v"),
            "txt_attn.qkv" to listOf("attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"),
            "img_attn.norm.query_norm" to listOf("attn.norm_q"),
            "img_attn.norm.key_norm" to listOf("attn.norm_k"),
            "txt_attn.norm.query_norm" to listOf("attn.norm_added_q"),
            "txt_attn.norm.key_norm" to listOf("attn.norm_added_k"),
            "img_attn.proj" to listOf("attn.to_out.0"),
            "txt_attn.proj" to listOf("attn.to_add_out"),
            "img_mlp.0" to listOf("ff.net.0.proj"),
            "img_mlp.2" to listOf("ff.net.2"),
            "txt_mlp.0" to listOf("ff_context.net.0.proj"),
            "txt_mlp.2" to listOf("ff_context.net.2"),
        )

        private val SINGLE = mapOf(
            "linear1" to listOf("attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp"),
            "linear2" to listOf("proj_out"),
            "norm.query_norm" to listOf("attn.norm_q"),
            "norm.key_norm" to listOf("attn.norm_k"),
            "modulation.lin" to listOf("norm.linear"),
        )

        private val BLOCK = Regex("""^(double_blocks|single_blocks)\.(\d+)\.(.+)$""")

        /** The diffusers names of the tensors a BFL tensor is stored as, in row order. */
        fun targets(bfl: String): List<String> {
            val base = bfl.substringBeforeLast('.')
            // diffusers' RMSNorm gains are `weight` where BFL's are `scale`.
            val suffix = bfl.substringAfterLast('.').let { if (it == "scale") "weight" else it }
            TOP[base]?.let { return listOf("$it.$suffix") }
            val m = BLOCK.matchEntire(base) ?: throw IllegalArgumentException("'$bfl' is not a Flux DiT tensor")
            val (kind, index, rest) = m.destructured
            val (root, parts) = if (kind == "double_blocks") "transformer_blocks" to DOUBLE else "single_transformer_blocks" to SINGLE
            val names = parts[rest] ?: throw IllegalArgumentException("'$bfl' is not a Flux DiT tensor")
            return names.map { "$root.$index.$it.$suffix" }
        }

        /** The diffusers name of a BFL tensor, or of its first part where diffusers splits it. */
        fun first(bfl: String): String = targets(bfl).first()

        /**
         * Where a diffusers tensor lies in BFL's DiT: the BFL tensor [bfl], the [part]-th of the tensors [targets]
         * splits it into (in row order), or with [halvesSwapped] all of it with its two halves in the other order.
         */
        class Origin(val bfl: String, val part: Int, val halvesSwapped: Boolean)

        private val TOP_ORIGINS = TOP.entries.associate { (bfl, diffusers) -> diffusers to bfl }
        private val DIFFUSERS_BLOCK = Regex("""^(transformer_blocks|single_transformer_blocks)\.(\d+)\.(.+)$""")

        /** The origin of the diffusers tensor [diffusers] in BFL's DiT, or null for a name [targets] never gives. */
        fun origin(diffusers: String): Origin? {
            val base = diffusers.substringBeforeLast('.')
            val suffix = diffusers.substringAfterLast('.')
            TOP_ORIGINS[base]?.let { return Origin("$it.$suffix", 0, it == FINAL_MODULATION) }
            val (root, index, rest) = DIFFUSERS_BLOCK.matchEntire(base)?.destructured ?: return null
            val (bflRoot, parts) = if (root == "transformer_blocks") "double_blocks" to DOUBLE else "single_blocks" to SINGLE
            for ((bflRest, names) in parts) {
                val part = names.indexOf(rest)
                if (part < 0) continue
                val bflSuffix = if (suffix == "weight" && (bflRest.endsWith("query_norm") || bflRest.endsWith("key_norm"))) "scale" else suffix
                return Origin("$bflRoot.$index.$bflRest.$bflSuffix", part, false)
            }
            return null
        }
    }
}
