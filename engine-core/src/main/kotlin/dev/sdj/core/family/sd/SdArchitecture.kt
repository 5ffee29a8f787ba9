package dev.sdj.core.family.sd

/**
 * The hyper-parameters of an SD-family UNet, VAE and CLIP text encoders — what the files' shapes encode. Real
 * models' values are read from their files; the tiny generator picks small ones with the same structure.
 *
 * @param clip2 SDXL's second text encoder (OpenCLIP bigG); null for SD 1.x/2.x, which condition on one
 */
data class SdArchitecture(
    val unet: Unet,
    val vae: Vae,
    val clip: Clip,
    val clip2: Clip? = null,
) {
    /**
     * @param attentionLevels resolution levels (0 = full) whose layers carry a spatial transformer
     * @param transformerDepths transformer blocks per attention level where there is more than one (SDXL stacks 2
     *   and 10); levels not named have one
     * @param middleDepth transformer blocks of the middle block
     * @param linearProjection SD2.x and SDXL project into transformers with linear layers, SD1.x with 1×1 convolutions
     * @param admInChannels width of SDXL's added-condition input (label_emb), null where the UNet has none
     */
    data class Unet(
        val inChannels: Int = 4,
        val outChannels: Int = 4,
        val modelChannels: Int,
        val channelMult: List<Int> = listOf(1, 2, 4, 4),
        val resBlocksPerLevel: Int = 2,
        val attentionLevels: Set<Int> = setOf(0, 1, 2),
        val transformerDepths: Map<Int, Int> = emptyMap(),
        val middleDepth: Int = 1,
        val contextDim: Int,
        val linearProjection: Boolean = false,
        val admInChannels: Int? = null,
    ) {
        val timeEmbedDim: Int get() = 4 * modelChannels

        /** Transformer blocks at [level]: 0 where it has no attention. */
        fun depth(level: Int): Int = if (level in attentionLevels) transformerDepths[level] ?: 1 else 0
    }

    data class Vae(
        val channels: Int,
        val channelMult: List<Int> = listOf(1, 2, 4, 4),
        val resBlocksPerLevel: Int = 2,
        val latentChannels: Int = 4,
        val imageChannels: Int = 3,
    )

    /**
     * @param projection output width of the text projection the pooled embedding goes through (SDXL's bigG), null
     *   where the pipeline reads none
     */
    data class Clip(
        val vocabSize: Int,
        val hidden: Int,
        val layers: Int,
        val maxPositions: Int = 77,
        val intermediate: Int = 4 * hidden,
        val projection: Int? = null,
    )

    /** The UNet's cross-attention context: the hidden states of the text encoders, concatenated (SDXL: 768 + 1280). */
    val textWidth: Int get() = clip.hidden + (clip2?.hidden ?: 0)

    companion object {
        /**
         * SDXL's added conditions besides the pooled text embedding: original size, crop offset and target size, two
         * numbers each, every number a 256-wide sinusoidal embedding (generative-models' sd_xl_base.yaml: adm_in_channels
         * 2816 = 1280 pooled + 6 × 256).
         */
        const val SDXL_SIZE_CONDITIONS = 6 * 256
    }
}
