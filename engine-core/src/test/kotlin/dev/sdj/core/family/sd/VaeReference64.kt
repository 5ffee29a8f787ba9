package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64

/** The float64 reference of the KL-VAE decoder's pieces, after LDM's ResnetBlock (no timestep) and AttnBlock. */
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
}
