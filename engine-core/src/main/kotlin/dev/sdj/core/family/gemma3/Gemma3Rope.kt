package dev.sdj.core.family.gemma3

import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor
import kotlin.math.cos
import kotlin.math.pow
import kotlin.math.sin

/**
 * Gemma-3's rotary embedding, NEOX style as llama.cpp, stable-diffusion.cpp and HF's rotate_half apply it: element i
 * of a head pairs with element i + headDim/2, rotated by the angle (p / scale)·θ^(−2i/headDim) for the token at
 * position p. Positions are the token indices 0 … T−1 of the whole padded sequence (sd.cpp numbers padding too).
 *
 * The angles are computed on the host in float64, once per length, and handed to the graph as a table, the way
 * [dev.sdj.core.family.flux.FluxRope] does, because the bridge's ggml_rope_ext has no frequency scale (the global
 * layers' linear scaling) and a table rotates with element-wise ops every backend runs. sd.cpp computes the same
 * angles in f32 inside ggml_rope_ext.
 */
object Gemma3Rope {
    /** The table for [tokens] positions: f32 [headDim/2, tokens, 2], cosines in the first plane, sines in the second. */
    fun table(headDim: Int, tokens: Int, theta: Double, positionScale: Double): FloatArray {
        val half = headDim / 2
        val out = FloatArray(half * tokens * 2)
        for (t in 0 until tokens) for (i in 0 until half) {
            val angle = t / positionScale * theta.pow(-2.0 * i / headDim)
            out[i + half * t] = cos(angle).toFloat()
            out[i + half * t + half * tokens] = sin(angle).toFloat()
        }
        return out
    }

    fun local(headDim: Int, tokens: Int) = table(headDim, tokens, Gemma3Architecture.LOCAL_THETA, 1.0)

    fun global(headDim: Int, tokens: Int) =
        table(headDim, tokens, Gemma3Architecture.GLOBAL_THETA, Gemma3Architecture.GLOBAL_POSITION_SCALE)

    /** Rotates x [headDim, heads, T] (contiguous) by [pe] ([table]'s layout, T tokens); the result has x's shape. */
    fun apply(ctx: GgmlContext, x: Tensor, pe: Tensor): Tensor {
        val d = x.ne(0)
        val heads = x.ne(1)
        val t = x.ne(2)
        val half = d / 2
        require(pe.ne(0) == half && pe.ne(1) == t) { "rope table ${pe.shape().toList()} does not fit heads of $d over $t tokens" }
        val s = x.strides()
        val first = ctx.cont(ctx.view3d(x, half, heads, t, s[1], s[2], 0))
        val second = ctx.cont(ctx.view3d(x, half, heads, t, s[1], s[2], half * s[0]))
        val cos = ctx.reshape(ctx.view2d(pe, half, t, pe.strides()[1], 0), half, 1, t)
        val sin = ctx.reshape(ctx.view2d(pe, half, t, pe.strides()[1], pe.strides()[2]), half, 1, t)
        val rotatedFirst = ctx.sub(ctx.mul(first, cos), ctx.mul(second, sin))
        val rotatedSecond = ctx.add(ctx.mul(second, cos), ctx.mul(first, sin))
        return ctx.concat(rotatedFirst, rotatedSecond, 0)
    }
}
