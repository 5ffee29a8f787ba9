package dev.sdj.core.family.flux

import dev.sdj.core.graph.Nn
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * The Flux.1 DiT over one [FluxLayout], as stable-diffusion.cpp (and Black Forest Labs' reference) computes it.
 * Tokens are [C, T, N]; in joint attention the text tokens come first, then the image patches.
 *
 * Every block reads only its own weights, and the blocks run once each in order (double blocks, then single
 * blocks), so the graph can be cut at block boundaries for streaming ([FluxDitBlocks]).
 */
class FluxDitGraph(private val nn: Nn, private val layout: FluxLayout) {
    private val ctx: GgmlContext = nn.ctx
    val headDim: Int = layout.headDim
    private val imageIn = layout.imageIn()
    val hidden: Long = imageIn.outFeatures
    val heads: Int = (hidden / headDim).toInt()
    val latentChannels: Long = imageIn.inFeatures / PATCH_AREA

    init {
        require(hidden % headDim == 0L && imageIn.inFeatures % PATCH_AREA == 0L) {
            "Flux weights do not fit together: hidden $hidden, head size $headDim, patch features ${imageIn.inFeatures}"
        }
    }

    /**
     * @param x latent [W, H, C, N] (W, H even)
     * @param t the sampler's sigma [N] (the embedding multiplies it by 1000)
     * @param context T5 hidden states [ctxWidth, textTokens, N]
     * @param y pooled CLIP-L [vecWidth, N]
     * @param guidance the distilled guidance scale [N], exactly when the model embeds it
     * @param pe the RoPE table for the joint sequence ([FluxRope.table]) [headDim/2, textTokens + patches, 2]
     * @return the velocity [W, H, C, N]
     */
    fun forward(x: Tensor, t: Tensor, context: Tensor, y: Tensor, guidance: Tensor?, pe: Tensor): Tensor {
        require(x.ne(2) == latentChannels) { "the latent has ${x.ne(2)} channels, the model takes $latentChannels" }
        val width = x.ne(0)
        val height = x.ne(1)
        var img = imageIn.apply(ctx, patchify(x))
        val conditioning = ctx.silu(vector(t, y, guidance))
        val txt = layout.textIn().apply(ctx, context)
        val textTokens = txt.ne(1)
        var joint = ctx.concat(txt, img, 1)
        for (i in 0 until layout.doubleBlocks) joint = doubleBlock(layout.doubleBlock(i), joint, textTokens, conditioning, pe)
        for (i in 0 until layout.singleBlocks) joint = singleBlock(layout.singleBlock(i), joint, conditioning, pe)
        img = tokenRange(joint, textTokens, joint.ne(1) - textTokens)
        return unpatchify(finalLayer(layout.finalLayer(), img, conditioning), width, height)
    }

    /** The vector every modulation reads (before its SiLU): time_in(t) + guidance_in(g) + vector_in(y). */
    fun vector(t: Tensor, y: Tensor, guidance: Tensor?): Tensor {
        require(layout.hasGuidance == (guidance != null)) {
            if (layout.hasGuidance) "this Flux model embeds a guidance scale and needs one" else "this Flux model (schnell-like) takes no guidance scale"
        }
        val time = layout.timeIn()
        var vec = embed(time, sinusoid(t, time))
        layout.guidanceIn()?.let { vec = ctx.add(vec, embed(it, sinusoid(guidance!!, it))) }
        return ctx.add(vec, embed(layout.vectorIn(), y))
    }

    /** Flux embeds values in [0, 1] (sigma) and guidance scales alike: ×1000, then the cos-then-sin sinusoid. */
    private fun sinusoid(v: Tensor, embedder: MlpEmbedder): Tensor =
        ctx.timestepEmbedding(ctx.scale(v, TIME_FACTOR), embedder.inLayer.inFeatures.toInt(), MAX_PERIOD)

    private fun embed(m: MlpEmbedder, x: Tensor): Tensor = m.outLayer.apply(ctx, ctx.silu(m.inLayer.apply(ctx, x)))

    /**
     * A double block: each stream its own weights, one attention over text then image tokens. The streams travel
     * between blocks as one tensor [C, text + image tokens, N] (text first), so that every node of the next block
     * reaches this one's results through a single node: ggml orders a graph's nodes depth-first, and with two
     * separate outputs it computed part of a block's text stream after the next block had started, which a
     * streaming schedule that loads one block at a time cannot run.
     */
    fun doubleBlock(b: DoubleBlockWeights, joint: Tensor, textTokens: Long, conditioning: Tensor, pe: Tensor): Tensor {
        val txt = tokenRange(joint, 0, textTokens)
        val img = tokenRange(joint, textTokens, joint.ne(1) - textTokens)
        val imgIn = modulate(ctx.norm(img, LN_EPS), b.image.attentionModulation, conditioning)
        val txtIn = modulate(ctx.norm(txt, LN_EPS), b.text.attentionModulation, conditioning)
        val q = ctx.concat(headNorm(b.text.q.apply(ctx, txtIn), b.text.queryNorm), headNorm(b.image.q.apply(ctx, imgIn), b.image.queryNorm), 1)
        val k = ctx.concat(headNorm(b.text.k.apply(ctx, txtIn), b.text.keyNorm), headNorm(b.image.k.apply(ctx, imgIn), b.image.keyNorm), 1)
        val v = ctx.concat(b.text.v.apply(ctx, txtIn), b.image.v.apply(ctx, imgIn), 1)
        val attention = attention(q, k, v, pe)
        val txtOut = streamResidual(b.text, txt, tokenRange(attention, 0, textTokens), conditioning)
        val imgOut = streamResidual(b.image, img, tokenRange(attention, textTokens, img.ne(1)), conditioning)
        return ctx.concat(txtOut, imgOut, 1)
    }

    /** A stream's attention output and then its MLP, each added through its gate. */
    private fun streamResidual(s: StreamWeights, x: Tensor, attention: Tensor, conditioning: Tensor): Tensor {
        val h = ctx.add(x, gated(s.attentionOut.apply(ctx, attention), s.attentionModulation, conditioning))
        val mlpIn = modulate(ctx.norm(h, LN_EPS), s.mlpModulation, conditioning)
        val mlp = s.mlpOut.apply(ctx, ctx.gelu(s.mlpIn.apply(ctx, mlpIn)))
        return ctx.add(h, gated(mlp, s.mlpModulation, conditioning))
    }

    /** A single block over the joint sequence: attention and the MLP side by side, one output layer over both. */
    fun singleBlock(b: SingleBlockWeights, x: Tensor, conditioning: Tensor, pe: Tensor): Tensor {
        val h = modulate(ctx.norm(x, LN_EPS), b.modulation, conditioning)
        val attention = attention(headNorm(b.q.apply(ctx, h), b.queryNorm), headNorm(b.k.apply(ctx, h), b.keyNorm), b.v.apply(ctx, h), pe)
        val mlp = ctx.gelu(b.mlpIn.apply(ctx, h))
        return ctx.add(x, gated(b.out.apply(ctx, ctx.concat(attention, mlp, 0)), b.modulation, conditioning))
    }

    fun finalLayer(f: FinalLayerWeights, img: Tensor, conditioning: Tensor): Tensor =
        f.linear.apply(ctx, modulate(ctx.norm(img, LN_EPS), f.modulation, conditioning))

    private fun attention(q: Tensor, k: Tensor, v: Tensor, pe: Tensor): Tensor =
        nn.attention(FluxRope.apply(ctx, q, pe, heads), FluxRope.apply(ctx, k, pe, heads), v, heads)

    /** (1 + scale)·x + shift, the modulation vectors [C, N] broadcast over the tokens of x [C, T, N]. */
    fun modulate(x: Tensor, m: Modulation, conditioning: Tensor): Tensor {
        val scale = perSample(m.scale.apply(ctx, conditioning))
        val shift = perSample(m.shift.apply(ctx, conditioning))
        return ctx.add(ctx.add(x, ctx.mul(x, scale)), shift)
    }

    private fun gated(branch: Tensor, m: Modulation, conditioning: Tensor): Tensor =
        ctx.mul(branch, perSample(m.gate!!.apply(ctx, conditioning)))

    private fun perSample(v: Tensor): Tensor = ctx.reshape(v, v.ne(0), 1, v.ne(1))

    /** RMSNorm over each head's channels (eps 1e-6) times the gain [headDim]. */
    private fun headNorm(x: Tensor, gain: Tensor): Tensor {
        val perHead = ctx.reshape(x, headDim.toLong(), heads.toLong(), x.ne(1), x.ne(2))
        return ctx.reshape(ctx.mul(ctx.rmsNorm(perHead, QK_EPS), gain), x.ne(0), x.ne(1), x.ne(2))
    }

    private fun tokenRange(x: Tensor, from: Long, count: Long): Tensor {
        val s = x.strides()
        val view = ctx.view3d(x, x.ne(0), count, x.ne(2), s[1], s[2], from * s[1])
        return if (view.isContiguous) view else ctx.cont(view)
    }

    /**
     * "b c (h ph) (w pw) -> b (h w) (c ph pw)": latent [W, H, C, N] to patch tokens [4C, (W/2)(H/2), N], token
     * j + (W/2)·i for the patch in row i, column j, feature 4c + 2·ph + pw.
     */
    fun patchify(x: Tensor): Tensor {
        val w = x.ne(0)
        val h = x.ne(1)
        val c = x.ne(2)
        val n = x.ne(3)
        require(w % 2 == 0L && h % 2 == 0L) { "Flux latents have even sizes (2×2 patches); got ${w}×$h" }
        val rows = ctx.cont(ctx.permute(ctx.reshape(x, 2, w / 2, 2, h / 2 * c * n), 0, 2, 1, 3))   // [pw, ph, j, (i c n)]
        val byChannel = ctx.reshape(rows, PATCH_AREA, w / 2 * (h / 2), c, n)
        return ctx.reshape(ctx.cont(ctx.permute(byChannel, 0, 2, 1, 3)), PATCH_AREA * c, w / 2 * (h / 2), n)
    }

    /** The inverse of [patchify] for a [width]×[height] latent. */
    fun unpatchify(tokens: Tensor, width: Long, height: Long): Tensor {
        val c = tokens.ne(0) / PATCH_AREA
        val n = tokens.ne(2)
        val byToken = ctx.cont(ctx.permute(ctx.reshape(tokens, PATCH_AREA, c, tokens.ne(1), n), 0, 2, 1, 3))  // [(pw ph), (j i), c, n]
        val rows = ctx.reshape(byToken, 2, 2, width / 2, height / 2 * c * n)
        return ctx.reshape(ctx.cont(ctx.permute(rows, 0, 2, 1, 3)), width, height, c, n)
    }

    companion object {
        const val PATCH_AREA = 4L
        const val TIME_FACTOR = 1000f
        const val MAX_PERIOD = 10000
        const val LN_EPS = 1e-6f
        const val QK_EPS = 1e-6f
    }
}
