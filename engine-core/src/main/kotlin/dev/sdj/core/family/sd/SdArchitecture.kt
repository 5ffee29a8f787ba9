package dev.sdj.core.family.sd

/**
 * The hyper-parameters of an SD-family UNet, VAE and CLIP text encoder — what the files' shapes encode. Real
 * models' values are read from their files; the tiny generator picks small ones with the same structure.
 */
data class SdArchitecture(
    val unet: Unet,
    val vae: Vae,
    val clip: Clip,
) {
    /**
     * @param attentionLevels resolution levels (0 = full) whose layers carry a spatial transformer
     * @param linearProjection SD2.x projects into transformers with linear layers, SD1.x with 1×1 convolutions
     */
    data class Unet(
        val inChannels: Int = 4,
        val outChannels: Int = 4,
        val modelChannels: Int,
        val channelMult: List<Int> = listOf(1, 2, 4, 4),
        val resBlocksPerLevel: Int = 2,
        val attentionLevels: Set<Int> = setOf(0, 1, 2),
        val contextDim: Int,
        val linearProjection: Boolean = false,
    ) {
        val timeEmbedDim: Int get() = 4 * modelChannels
    }

    data class Vae(
        val channels: Int,
        val channelMult: List<Int> = listOf(1, 2, 4, 4),
        val resBlocksPerLevel: Int = 2,
        val latentChannels: Int = 4,
        val imageChannels: Int = 3,
    )

    data class Clip(
        val vocabSize: Int,
        val hidden: Int,
        val layers: Int,
        val maxPositions: Int = 77,
        val intermediate: Int = 4 * hidden,
    )
}
