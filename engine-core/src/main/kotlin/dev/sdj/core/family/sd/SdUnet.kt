package dev.sdj.core.family.sd

import dev.sdj.core.graph.Nn
import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * The LDM UNet of SD 1.x/2.x and SDXL as a ggml graph. Its structure is read from the weights it is handed (which
 * input blocks downsample, which layers carry a transformer and how many blocks deep, whether projections are
 * linear, whether a class-label embedding conditions the timestep embedding), so real checkpoints and tiny test
 * models build the same way; only the attention head layout is the family's: SD 1.x has 8 heads, SD 2.x and SDXL
 * heads of 64 channels.
 *
 * @param heads attention heads for a layer of the given channel count
 */
class SdUnet(val heads: (channels: Long) -> Int) {

    /**
     * @param x noisy latents [W, H, 4, N], already scaled by the sampler's input scale; an inpainting UNet's [W, H, 9, N]
     *   with the mask and the masked image's latent after them ([InpaintingInput])
     * @param timesteps model timesteps [N] (f32)
     * @param context text-encoder hidden states [contextDim, tokens, N]
     * @param y the vector SDXL conditions on besides the text ([admChannels, N]: pooled text embedding and size
     *   embeddings); given exactly when the weights have a label embedding (`label_emb.0.0`)
     * @return the model output (ε or v) [W, H, 4, N]
     */
    fun build(nn: Nn, w: Weights, x: Tensor, timesteps: Tensor, context: Tensor, y: Tensor? = null): Tensor {
        val ctx = nn.ctx
        val emb = embedding(nn, w, timesteps, y)

        var h = nn.conv2d(x, w.at("input_blocks.0.0"))
        val skips = arrayListOf(h)
        var i = 1
        while (w.has("input_blocks.$i.0.op.weight") || w.has("input_blocks.$i.0.in_layers.0.weight")) {
            val b = w.at("input_blocks.$i")
            h = if (w.has("input_blocks.$i.0.op.weight")) {
                nn.conv2d(h, b.at("0.op"), stride = 2, padding = 1)
            } else {
                layer(nn, b, h, emb, context)
            }
            skips.add(h)
            i++
        }

        h = resBlock(nn, w.at("middle_block.0"), h, emb)
        h = transformer(nn, w.at("middle_block.1"), h, context)
        h = resBlock(nn, w.at("middle_block.2"), h, emb)

        var o = 0
        while (w.has("output_blocks.$o.0.in_layers.0.weight")) {
            val b = w.at("output_blocks.$o")
            h = ctx.concat(h, skips.removeAt(skips.size - 1), 2)
            h = layer(nn, b, h, emb, context)
            val up = listOf(1, 2).firstOrNull { w.has("output_blocks.$o.$it.conv.weight") }
            if (up != null) h = nn.conv2d(upsampleTo(nn, h, skips.last()), b.at("$up.conv"))
            o++
        }
        require(skips.isEmpty()) { "UNet skip connections do not pair up: ${skips.size} left (damaged or unsupported layout)" }

        h = ctx.silu(nn.groupNorm(h, w.at("out.0"), eps = 1e-5f))
        return nn.conv2d(h, w.at("out.2"))
    }

    /**
     * The embedding every residual block is conditioned on: the timestep's sinusoidal embedding through the time MLP,
     * plus, for models with a label embedding (SDXL's "adm" vector y), y through the label MLP — LDM's
     * `emb = time_embed(t_emb) + label_emb(y)`.
     */
    fun embedding(nn: Nn, w: Weights, timesteps: Tensor, y: Tensor?): Tensor {
        val ctx = nn.ctx
        val modelChannels = w.get("input_blocks.0.0.weight").ne(3).toInt()
        val temb = ctx.timestepEmbedding(timesteps, modelChannels, 10000)
        val emb = nn.linear(ctx.silu(nn.linear(temb, w.at("time_embed.0"))), w.at("time_embed.2"))
        val labelled = w.has("label_emb.0.0.weight")
        require(labelled == (y != null)) {
            if (labelled) "this UNet has a label embedding and needs the vector y" else "this UNet has no label embedding to take y"
        }
        if (y == null) return emb
        return ctx.add(emb, nn.linear(ctx.silu(nn.linear(y, w.at("label_emb.0.0"))), w.at("label_emb.0.2")))
    }

    /**
     * Nearest upsampling to the size of the skip connection it will be joined with: twice the size when the
     * latent divides evenly, otherwise the skip's odd size (latents need only be multiples of 1, not of 8).
     */
    private fun upsampleTo(nn: Nn, h: Tensor, skip: Tensor): Tensor =
        if (skip.ne(0) == 2 * h.ne(0) && skip.ne(1) == 2 * h.ne(1)) nn.ctx.upscaleNearest(h, 2)
        else nn.ctx.interpolate(h, GgmlContext.Interpolation.NEAREST, false, skip.ne(0), skip.ne(1), h.ne(2), h.ne(3))

    /** A resolution layer: a residual block, then a spatial transformer when the block has one. */
    fun layer(nn: Nn, b: Weights, x: Tensor, emb: Tensor, context: Tensor): Tensor {
        val h = resBlock(nn, b.at("0"), x, emb)
        return if (b.has("1.norm.weight")) transformer(nn, b.at("1"), h, context) else h
    }

    /** Residual block: two normalised 3×3 convolutions with the timestep embedding added in between. */
    fun resBlock(nn: Nn, w: Weights, x: Tensor, emb: Tensor): Tensor {
        val ctx = nn.ctx
        var h = nn.conv2d(ctx.silu(nn.groupNorm(x, w.at("in_layers.0"), eps = 1e-5f)), w.at("in_layers.2"))
        val e = nn.linear(ctx.silu(emb), w.at("emb_layers.1"))                 // [Cout, N]
        h = ctx.add(h, ctx.reshape(e, 1, 1, e.ne(0), e.ne(1)))
        h = nn.conv2d(ctx.silu(nn.groupNorm(h, w.at("out_layers.0"), eps = 1e-5f)), w.at("out_layers.3"))
        val skip = if (w.has("skip_connection.weight")) nn.conv2d(x, w.at("skip_connection")) else x
        return ctx.add(skip, h)
    }

    /** Spatial transformer: pixels as tokens through self-attention, cross-attention on the text, and a GEGLU MLP. */
    fun transformer(nn: Nn, w: Weights, x: Tensor, context: Tensor): Tensor {
        val ctx = nn.ctx
        val width = x.ne(0)
        val height = x.ne(1)
        val channels = x.ne(2)
        val linear = w.get("proj_in.weight").dimensions() == 2
        var h = nn.groupNorm(x, w.at("norm"), eps = 1e-6f)
        h = if (linear) nn.linear(nn.imageToTokens(h), w.at("proj_in")) else nn.imageToTokens(nn.conv2d(h, w.at("proj_in")))
        var j = 0
        while (w.has("transformer_blocks.$j.norm1.weight")) {
            h = transformerBlock(nn, w.at("transformer_blocks.$j"), h, context, heads(channels))
            j++
        }
        h = if (linear) nn.tokensToImage(nn.linear(h, w.at("proj_out")), width, height)
        else nn.conv2d(nn.tokensToImage(h, width, height), w.at("proj_out"))
        return ctx.add(h, x)
    }

    /** One transformer block over tokens [C, T, N]. */
    fun transformerBlock(nn: Nn, w: Weights, x: Tensor, context: Tensor, heads: Int): Tensor {
        val ctx = nn.ctx
        var h = x
        var n = nn.layerNorm(h, w.at("norm1"))
        h = ctx.add(h, attention(nn, w.at("attn1"), n, n, heads))
        n = nn.layerNorm(h, w.at("norm2"))
        h = ctx.add(h, attention(nn, w.at("attn2"), n, context, heads))
        n = nn.layerNorm(h, w.at("norm3"))
        return ctx.add(h, nn.linear(nn.geglu(n, w.at("ff.net.0.proj")), w.at("ff.net.2")))
    }

    private fun attention(nn: Nn, w: Weights, x: Tensor, context: Tensor, heads: Int): Tensor {
        val q = nn.linear(x, w.at("to_q"), bias = false)
        val k = nn.linear(context, w.at("to_k"), bias = false)
        val v = nn.linear(context, w.at("to_v"), bias = false)
        return nn.linear(nn.attention(q, k, v, heads), w.at("to_out.0"))
    }

    companion object {
        /** SD 1.x: eight heads whatever the width. */
        val SD1 = SdUnet { 8 }

        /** SD 2.x (and SDXL): heads of 64 channels. */
        val SD2 = SdUnet { channels -> (channels / 64).toInt().coerceAtLeast(1) }
    }
}
