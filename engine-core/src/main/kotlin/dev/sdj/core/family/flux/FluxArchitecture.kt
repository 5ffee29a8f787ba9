package dev.sdj.core.family.flux

import dev.sdj.core.family.sd.SdArchitecture

/**
 * The hyper-parameters of a Flux.1 model as its files encode them: the DiT, the T5 v1.1 encoder, CLIP-L and the
 * 16-channel autoencoder. Real models' values are read from their files; the generators pick these.
 */
data class FluxArchitecture(
    val dit: Dit,
    val t5: T5,
    val clip: SdArchitecture.Clip,
    val vae: SdArchitecture.Vae,
) {
    /**
     * @param guidance FLUX.1-dev embeds the distilled guidance scale (guidance_in); schnell has no such input
     * @param latentChannels channels of the autoencoder's latent; the DiT sees them in 2×2 patches
     */
    data class Dit(
        val hidden: Int,
        val headDim: Int,
        val doubleBlocks: Int,
        val singleBlocks: Int,
        val guidance: Boolean,
        val mlpRatio: Int = 4,
        val latentChannels: Int = 16,
    ) {
        val mlp: Int get() = mlpRatio * hidden
        val patchChannels: Int get() = 4 * latentChannels
    }

    /** T5 v1.1's encoder: gated-GELU feed-forward, relative position buckets in the first layer's attention. */
    data class T5(
        val vocabSize: Int,
        val dModel: Int,
        val heads: Int,
        val dKv: Int,
        val ff: Int,
        val layers: Int,
        val buckets: Int = 32,
    )

    companion object {
        /** FLUX.1-dev as Black Forest Labs released it: 19 double and 38 single blocks of 3072, T5-XXL, CLIP-L. */
        val DEV = FluxArchitecture(
            dit = Dit(hidden = 3072, headDim = 128, doubleBlocks = 19, singleBlocks = 38, guidance = true),
            t5 = T5(vocabSize = 32128, dModel = 4096, heads = 64, dKv = 64, ff = 10240, layers = 24),
            clip = SdArchitecture.Clip(vocabSize = 49408, hidden = 768, layers = 12, intermediate = 3072),
            vae = SdArchitecture.Vae(channels = 128, latentChannels = 16),
        )

        /** FLUX.1-schnell: dev's structure without the guidance embedding. */
        val SCHNELL = DEV.copy(dit = DEV.dit.copy(guidance = false))

        /**
         * Dev's structure at a size that runs in moments: a 256-wide DiT (rows of 256 quantize to K-quants) with four
         * heads of 64 (RoPE axes 8, 28, 28), two double and two single blocks; a 64-wide two-layer T5 with T5's real
         * vocabulary size, so that its published tokenizer's ids are in range; a 32-wide CLIP-L-like encoder.
         */
        val DEV_TINY = FluxArchitecture(
            dit = Dit(hidden = 256, headDim = 64, doubleBlocks = 2, singleBlocks = 2, guidance = true),
            t5 = T5(vocabSize = 32128, dModel = 64, heads = 4, dKv = 16, ff = 128, layers = 2),
            clip = SdArchitecture.Clip(vocabSize = 1000, hidden = 32, layers = 2),
            vae = SdArchitecture.Vae(channels = 32, latentChannels = 16),
        )

        val SCHNELL_TINY = DEV_TINY.copy(dit = DEV_TINY.dit.copy(guidance = false))
    }
}
