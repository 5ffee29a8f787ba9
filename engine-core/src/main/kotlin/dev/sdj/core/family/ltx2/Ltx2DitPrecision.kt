package dev.sdj.core.family.ltx2

/**
 * The DiT tensors stable-diffusion.cpp's LTXAV keeps in f32 whatever the file stores (its Linears built with
 * force_f32): the timestep embedders and linears of every AdaLN-single module, the video and audio patchify and output
 * projections, the caption projections where a checkpoint has them. The modulation tables (`*scale_shift_table*`, a
 * few rows of the stream's width) are kept in f32 too: the graph adds them to f32 modulations, and a quantized table
 * could not be read element-wise on every device. At LTX-2.3's size that is 432 M parameters (the AdaLN linears 426 M
 * of them), 2.3 % of the DiT: 1.61 GiB in f32 where bf16 would take 0.80 GiB and Q4_K 0.23 GiB, all of it core (resident).
 */
object Ltx2DitPrecision {
    private val F32 = Regex(
        """^(?:(?:audio_)?(?:patchify_proj|proj_out|caption_projection\.linear_[12])|\w*adaln_single\.(?:emb\.timestep_embedder\.linear_[12]|linear))\.weight$""" +
            """|scale_shift_table""")

    /** Whether the DiT's tensor [name] (without `model.diffusion_model.`) stays f32 on the device. */
    fun keepsF32(name: String): Boolean = F32.containsMatchIn(name)
}
