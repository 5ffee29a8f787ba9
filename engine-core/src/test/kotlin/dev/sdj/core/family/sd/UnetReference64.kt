package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nd
import dev.sdj.core.graph.Reference64 as R
import dev.sdj.core.graph.Weights64

/** The float64 reference of the LDM UNet's pieces that SD 1.x/2.x and SDXL share: the residual block and the transformer block. */
object UnetReference64 {
    /** in_layers (GroupNorm32, SiLU, conv3×3), + emb_layers(emb) per channel, out_layers (GroupNorm32, SiLU, dropout, conv3×3), + skip. */
    fun resBlock(w: Weights64, x: Nd, emb: Nd): Nd {
        var h = R.conv2d(R.silu(R.groupNorm(x, w.at("in_layers.0"), eps = 1e-5)), w.at("in_layers.2"))
        h = R.addPerChannel(h, R.linear(R.silu(emb), w.at("emb_layers.1")))
        h = R.conv2d(R.silu(R.groupNorm(h, w.at("out_layers.0"), eps = 1e-5)), w.at("out_layers.3"))
        val skip = if (w.has("skip_connection.weight")) R.conv2d(x, w.at("skip_connection")) else x
        return skip + h
    }

    /** BasicTransformerBlock: self-attention, cross-attention on [context], GEGLU MLP, each pre-norm and residual. */
    fun transformerBlock(w: Weights64, x: Nd, context: Nd, heads: Int): Nd {
        var h = x
        var n = R.layerNorm(h, w.at("norm1"))
        h = h + attention(w.at("attn1"), n, n, heads)
        n = R.layerNorm(h, w.at("norm2"))
        h = h + attention(w.at("attn2"), n, context, heads)
        n = R.layerNorm(h, w.at("norm3"))
        return h + R.linear(R.geglu(n, w.at("ff.net.0.proj")), w.at("ff.net.2"))
    }

    private fun attention(w: Weights64, x: Nd, context: Nd, heads: Int): Nd {
        val q = R.linear(x, w.at("to_q"), bias = false)
        val k = R.linear(context, w.at("to_k"), bias = false)
        val v = R.linear(context, w.at("to_v"), bias = false)
        return R.linear(R.attention(q, k, v, heads), w.at("to_out.0"))
    }
}
