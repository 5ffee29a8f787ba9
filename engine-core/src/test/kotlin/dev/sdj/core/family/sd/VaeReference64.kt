package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64

/**
 * The float64 reference of the KL-VAE's pieces, after LDM's ResnetBlock (no timestep) and AttnBlock, and its Encoder
 * (model.py: Downsample with asymmetric (0, 1, 0, 1) zero padding and a stride-2 3×3 convolution).
 */
object VaeReference64 {
    fun resBlock(w: Weights64, x: Nd): Nd {
        var h = R.conv2d(R.silu(R.groupNorm(x, w.at("norm1"), eps = 1e-6)), w.at("conv1"))
        h = R.conv2d(R.silu(R.groupNorm(h, w.at("norm2"), eps = 1e-6)), w.at("conv2"))
        val skip = if (w.has("nin_shortcut.weight")) R.conv2d(x, w.at("nin_shortcut")) else x
        return skip + h
    }

    /** Single-head attention over all pixels with 1×1-convolution q, k, v and proj_out; scale C^−½. */
    fun attnBlock(w: Weights64, x: Nd): Nd {
        val h = R.groupNorm(x, w.at("norm"), eps = 1e-6)
        val (q, k, v) = listOf("q", "k", "v").map { R.imageToTokens(R.conv2d(h, w.at(it))) }
        return x + R.conv2d(R.tokensToImage(R.attention(q, k, v, heads = 1), x.ne(0), x.ne(1)), w.at("proj_out"))
    }

    /** One encoder level: its residual blocks, then the downsampling convolution when it has one. */
    fun downLevel(w: Weights64, x: Nd): Nd {
        var h = x
        var j = 0
        while (w.has("block.$j.conv1.weight")) h = resBlock(w.at("block.$j"), h).also { j++ }
        return if (w.has("downsample.conv.weight")) R.conv2d(padFar(h), w.at("downsample.conv"), stride = 2, padding = 0) else h
    }

    /** The encoder's moments from [vae] (the autoencoder's weights): quant_conv applied when there is one (SD's; Flux has none). */
    fun encoder(vae: Weights64, x: Nd): Nd {
        var h = R.conv2d(x, vae.at("encoder.conv_in"))
        var level = 0
        while (vae.has("encoder.down.$level.block.0.conv1.weight")) h = downLevel(vae.at("encoder.down.$level"), h).also { level++ }
        h = resBlock(vae.at("encoder.mid.block_1"), h)
        h = attnBlock(vae.at("encoder.mid.attn_1"), h)
        h = resBlock(vae.at("encoder.mid.block_2"), h)
        h = R.conv2d(R.silu(R.groupNorm(h, vae.at("encoder.norm_out"), eps = 1e-6)), vae.at("encoder.conv_out"))
        return if (vae.has("quant_conv.weight")) R.conv2d(h, vae.at("quant_conv")) else h
    }

    /** One zero column on the right and one zero row at the bottom. */
    private fun padFar(x: Nd): Nd {
        val (w, h) = x.ne(0) to x.ne(1)
        val planes = x.ne(2) * x.ne(3)
        val out = Nd(w + 1, h + 1, x.ne(2), x.ne(3))
        for (p in 0 until planes) for (y in 0 until h) for (i in 0 until w) out.d[i + (w + 1) * (y + (h + 1) * p)] = x.d[i + w * (y + h * p)]
        return out
    }
}
