package dev.sdj.core.graph

import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor
import kotlin.math.sqrt

/**
 * How a graph computes multi-head attention. Every implementation computes the same function; they differ in the
 * memory they need and in rounding, so the engine picks one per device and model code never does.
 *
 * q is [C, Tq, N], k and v [C, Tk, N] with C = heads × headDim (channel h·d + j is element j of head h, as PyTorch
 * splits heads); the result is [C, Tq, N]; [causal] hides later tokens.
 */
fun interface Attention {
    fun build(ctx: GgmlContext, q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Boolean): Tensor
}

/**
 * softmax(K·Q / √d) then V, all in f32, which every backend supports. It materialises the [Tk, Tq, heads, N] score
 * matrix: 512 MiB for SD's self-attention at a 64×64 latent.
 */
object NaiveAttention : Attention {
    override fun build(ctx: GgmlContext, q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Boolean): Tensor {
        val c = q.ne(0)
        val d = c / heads
        val tq = q.ne(1)
        val tk = k.ne(1)
        val n = q.ne(2)
        val qh = ctx.cont(ctx.permute(ctx.reshape(q, d, heads.toLong(), tq, n), 0, 2, 1, 3))   // [d, Tq, H, N]
        val kh = ctx.cont(ctx.permute(ctx.reshape(k, d, heads.toLong(), tk, n), 0, 2, 1, 3))   // [d, Tk, H, N]
        val vt = ctx.cont(ctx.permute(ctx.reshape(v, d, heads.toLong(), tk, n), 1, 2, 0, 3))   // [Tk, d, H, N]
        val scores = ctx.mulMat(kh, qh)                                                           // [Tk, Tq, H, N]
        val kq = ctx.softMax(if (causal) ctx.causalMask(scores, 0) else scores, null, scale(d))
        val out = ctx.mulMat(vt, kq)                                                              // [d, Tq, H, N]
        return ctx.reshape(ctx.cont(ctx.permute(out, 0, 2, 1, 3)), c, tq, n)
    }
}

/**
 * ggml's fused attention (ggml_flash_attn_ext): scores are computed block by block and never stored, so the compute
 * buffer holds only q and f16 copies of k and v. K and V are rounded to f16 and, on the CPU, so is q inside the
 * kernel. Where [device] does not run the node ggml builds (its head size, say), or for causal attention (only the
 * text encoder needs it, and it is short), the [NaiveAttention] path is built instead.
 */
class FlashAttention(private val device: Device) : Attention {
    override fun build(ctx: GgmlContext, q: Tensor, k: Tensor, v: Tensor, heads: Int, causal: Boolean): Tensor {
        if (causal) return NaiveAttention.build(ctx, q, k, v, heads, causal)
        val c = q.ne(0)
        val d = c / heads
        val tq = q.ne(1)
        val n = q.ne(2)
        val qh = ctx.cont(ctx.permute(ctx.reshape(q, d, heads.toLong(), tq, n), 0, 2, 1, 3))   // [d, Tq, H, N]
        val kh = ctx.cast(headsSecond(ctx, k, d, heads), GgmlType.F16)                              // [d, Tk, H, N]
        val vh = ctx.cast(headsSecond(ctx, v, d, heads), GgmlType.F16)
        val out = ctx.accumulateInF32(ctx.flashAttention(qh, kh, vh, null, scale(d)))              // [d, H, Tq, N]
        if (!device.supports(out)) return NaiveAttention.build(ctx, q, k, v, heads, causal)
        return ctx.reshape(out, c, tq, n)
    }

    private fun headsSecond(ctx: GgmlContext, x: Tensor, d: Long, heads: Int): Tensor =
        ctx.permute(ctx.reshape(x, d, heads.toLong(), x.ne(1), x.ne(2)), 0, 2, 1, 3)
}

private fun scale(headDim: Long): Float = (1.0 / sqrt(headDim.toDouble())).toFloat()
