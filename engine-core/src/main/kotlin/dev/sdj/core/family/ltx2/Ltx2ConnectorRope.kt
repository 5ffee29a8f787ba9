package dev.sdj.core.family.ltx2

import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor
import kotlin.math.PI
import kotlin.math.cos
import kotlin.math.ln
import kotlin.math.exp
import kotlin.math.sin

/**
 * The connectors' 1-D rotary embedding as stable-diffusion.cpp builds it for LTX-2.3 (build_1d_rope_matrix with
 * θ = 10 000, positions / 4096, double precision, split by heads, not interleaved):
 *
 * - the whole width has width/2 frequencies f_i = θ^(i / (width/2 − 1))·π/2, i = 0 … width/2 − 1 (one positional
 *   axis, so no zero padding), and token p turns frequency i by the angle f_i·(2p/4096 − 1);
 * - head h takes frequencies h·headDim/2 … (h + 1)·headDim/2 − 1, so every head rotates differently;
 * - within a head element j pairs with j + headDim/2 (split, "rotate half"): (a, b) → (a·cos − b·sin, a·sin + b·cos).
 *
 * Positions are 0 … L−1 over the whole sequence, registers included. sd.cpp computes the angle in float64 and rounds
 * it to f32 before taking cos and sin in f32; the angles reach 1.6e4 rad, where that rounding moves cos by up to 4.9e-4,
 * so the table rounds the angle the same way to give sd.cpp's values (Lightricks' float64 path would not round it).
 */
object Ltx2ConnectorRope {
    /** The table for [tokens] positions: f32 [headDim/2, heads, tokens, 2], cosines in plane 0, sines in plane 1. */
    fun table(width: Int, heads: Int, tokens: Int): FloatArray {
        val half = width / 2
        val perHead = half / heads
        require(width % 2 == 0 && half % heads == 0) { "a width of $width does not give $heads heads whole frequency pairs" }
        val frequencies = DoubleArray(half) { i ->
            if (half == 1) PI / 2 else exp(ln(Ltx2TextArchitecture.ROPE_THETA) * i / (half - 1)) * (PI / 2)
        }
        val out = FloatArray(half * tokens * 2)
        val plane = half * tokens
        for (p in 0 until tokens) {
            val coordinate = p / Ltx2TextArchitecture.ROPE_MAX_POSITION * 2 - 1
            for (i in 0 until half) {
                val angle = (frequencies[i] * coordinate).toFloat().toDouble()
                // frequency i belongs to head i / perHead, pair i % perHead: the table's order [pair, head, token]
                out[i + half * p] = cos(angle).toFloat()
                out[i + half * p + plane] = sin(angle).toFloat()
            }
        }
        return out
    }

    /** Rotates x [width, T] (contiguous) by [pe] ([table]'s layout for the same heads and T); the result is [width, T]. */
    fun apply(ctx: GgmlContext, x: Tensor, pe: Tensor, heads: Int): Tensor {
        val width = x.ne(0)
        val t = x.ne(1)
        val d = width / heads
        val half = d / 2
        require(pe.ne(0) == half && pe.ne(1) == heads.toLong() && pe.ne(2) == t) {
            "rope table ${pe.shape().toList()} does not fit $heads heads of $d over $t tokens"
        }
        val h = ctx.reshape(x, d, heads.toLong(), t)
        val s = h.strides()
        val first = ctx.cont(ctx.view3d(h, half, heads.toLong(), t, s[1], s[2], 0))
        val second = ctx.cont(ctx.view3d(h, half, heads.toLong(), t, s[1], s[2], half * s[0]))
        val ps = pe.strides()
        val cos = ctx.view3d(pe, half, heads.toLong(), t, ps[1], ps[2], 0)
        val sin = ctx.view3d(pe, half, heads.toLong(), t, ps[1], ps[2], ps[3])
        val rotatedFirst = ctx.sub(ctx.mul(first, cos), ctx.mul(second, sin))
        val rotatedSecond = ctx.add(ctx.mul(second, cos), ctx.mul(first, sin))
        return ctx.reshape(ctx.concat(rotatedFirst, rotatedSecond, 0), width, t, 1)
    }
}
