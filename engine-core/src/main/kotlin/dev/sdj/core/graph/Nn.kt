package dev.sdj.core.graph

import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * The layers diffusion models are built from, as ggml graph fragments. Activations are f32 in ggml order:
 * images [W, H, C, N], token sequences [C, T, N].
 *
 * @param convInputScale what convolutions multiply their input by, dividing their output by it again (see [withConvInputScale])
 */
class Nn(
    val ctx: GgmlContext,
    private val attentionPath: Attention = NaiveAttention,
    private val convolutionPath: Convolution = Im2colConvolution,
    private val convInputScale: Float = 1f,
) {
    /**
     * The same layers with convolutions that scale their input by [scale] and their product back by 1/[scale], so
     * activations up to 65504/[scale] pass through f16: ggml's im2col writes its columns in the kernel's type, f16
     * for checkpoint kernels, and larger activations become infinities. A power of two changes no rounding except of
     * values near f16's smallest normal, and the im2col buffer keeps its f16 size. Casting the kernels to f32 instead
     * would double that buffer and still not do on Vulkan, which rounds below f32 somewhere in an all-f32 convolution
     * (a residual block with f32 kernels measures 4.3e-4 on lavapipe against 2.6e-7 on the CPU) and gave NaN for a
     * decoder carrying 1e5 with f32-cast kernels.
     */
    fun withConvInputScale(scale: Float): Nn = Nn(ctx, attentionPath, convolutionPath, scale)

    /** y = W x + b over dimension 0; W is [in, out] in ggml order (PyTorch [out, in]); plus W's low-rank LoRA terms. */
    fun linear(x: Tensor, w: Weights, bias: Boolean = w.has("bias")): Tensor {
        var y = ctx.mulMat(w.get("weight"), x)
        for (term in w.lowRank("weight")) y = ctx.add(y, ctx.scale(ctx.mulMat(term.up, ctx.mulMat(term.down, x)), term.factor))
        return if (bias) ctx.add(y, w.get("bias")) else y
    }

    /**
     * 2-D convolution with a [KW, KH, Cin, Cout] kernel and a per-channel bias, plus the kernel's low-rank LoRA terms
     * (LoCon: the down kernel convolved as the weight is, then the 1×1 up kernel). How it is computed is the graph's
     * [convolutionPath].
     */
    fun conv2d(x: Tensor, w: Weights, stride: Int = 1, padding: Int = -1): Tensor {
        val kernel = w.get("weight")
        val pad = if (padding >= 0) padding else (kernel.ne(0) / 2).toInt()
        var y = scaledConv(kernel, x, stride, pad)
        for (term in w.lowRank("weight")) {
            y = ctx.add(y, ctx.scale(scaledConv(term.up, scaledConv(term.down, x, stride, pad), 1, 0), term.factor))
        }
        return if (w.has("bias")) ctx.add(y, channelBias(w.get("bias"))) else y
    }

    private fun scaledConv(kernel: Tensor, x: Tensor, stride: Int, pad: Int): Tensor =
        if (convInputScale == 1f) convolutionPath.build(ctx, kernel, x, stride, pad)
        else ctx.scale(convolutionPath.build(ctx, kernel, ctx.scale(x, convInputScale), stride, pad), 1 / convInputScale)

    private fun channelBias(bias: Tensor): Tensor = ctx.reshape(bias, 1, 1, bias.ne(0), 1)

    /** Group normalisation over [W, H, C/groups] then a per-channel affine transform. */
    fun groupNorm(x: Tensor, w: Weights, groups: Int = 32, eps: Float): Tensor {
        val n = ctx.groupNorm(x, groups, eps)
        val scaled = ctx.mul(n, channelVector(w.get("weight"), x))
        return ctx.add(scaled, channelVector(w.get("bias"), x))
    }

    /** A per-channel vector shaped to broadcast over [W, H, C, N] (images) or [C, T, N] (sequences). */
    private fun channelVector(v: Tensor, like: Tensor): Tensor =
        if (like.dimensions() >= 3 && like.ne(2) == v.ne(0)) ctx.reshape(v, 1, 1, v.ne(0), 1) else v

    /** Layer normalisation over dimension 0 with affine weights. */
    fun layerNorm(x: Tensor, w: Weights, eps: Float = 1e-5f): Tensor =
        ctx.add(ctx.mul(ctx.norm(x, eps), w.get("weight")), w.get("bias"))

    /**
     * Multi-head scaled dot-product attention. q [C, Tq, N], k and v [C, Tk, N] with C = heads × headDim; the result is
     * [C, Tq, N]; [causal] hides later tokens. How it is computed is the graph's [attentionPath].
     */
    fun attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Boolean = false): Tensor =
        attentionPath.build(ctx, q, k, v, heads, causal)

    /** [W, H, C, N] → [C, W·H, N]: pixels as a token sequence. */
    fun imageToTokens(x: Tensor): Tensor {
        val w = x.ne(0)
        val h = x.ne(1)
        val c = x.ne(2)
        val n = x.ne(3)
        return ctx.reshape(ctx.cont(ctx.permute(x, 1, 2, 0, 3)), c, w * h, n)
    }

    /** [C, W·H, N] → [W, H, C, N]. */
    fun tokensToImage(x: Tensor, w: Long, h: Long): Tensor {
        val c = x.ne(0)
        val n = x.ne(2)
        return ctx.cont(ctx.permute(ctx.reshape(x, c, w, h, n), 2, 0, 1, 3))
    }

    /** GEGLU: project to twice the width, gate one half with GELU of the other (diffusers' order: value, gate). */
    fun geglu(x: Tensor, w: Weights): Tensor {
        val proj = linear(x, w)
        val half = proj.ne(0) / 2
        val rowBytes = proj.strides()[1]
        val value = ctx.cont(ctx.view3d(proj, half, proj.ne(1), proj.ne(2), rowBytes, proj.strides()[2], 0))
        val gate = ctx.cont(ctx.view3d(proj, half, proj.ne(1), proj.ne(2), rowBytes, proj.strides()[2], half * proj.strides()[0]))
        return ctx.mul(value, ctx.gelu(gate))
    }
}
