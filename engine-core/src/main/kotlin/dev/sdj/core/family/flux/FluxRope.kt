package dev.sdj.core.family.flux

import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor
import kotlin.math.cos
import kotlin.math.pow
import kotlin.math.sin

/**
 * Flux's rotary position embedding over three axes. Every token has a position id per axis: text tokens (0, 0, 0),
 * the image patch in grid row i and column j (0, i, j). A head's channels are cut into three runs, one per axis, of
 * [axes] channels; channels 2m and 2m + 1 of a run form a pair rotated by the angle pos·θ^(−2m/run) (adjacent pairs,
 * as Black Forest Labs' reference and stable-diffusion.cpp rotate them, not the two halves of the head).
 *
 * The angles are computed on the host, once per size, and handed to the graph as a table, because ggml's own rope
 * kernels cannot express this: ggml_rope_multi rotates the head's halves (not adjacent pairs) in its multi-section
 * mode and lets the frequency run on across sections instead of restarting it per axis.
 */
object FluxRope {
    const val THETA = 10000.0

    /**
     * The channels per axis for a head size: headDim/8 for the first (index) axis and the rest split evenly between
     * the two spatial axes, which for 128 (every released Flux.1) is the architecture's [16, 56, 56]. Tiny test
     * models keep that proportion; each share must be whole pairs, which holds exactly for multiples of 32.
     */
    fun axes(headDim: Int): IntArray {
        require(headDim > 0 && headDim % 32 == 0) {
            "a Flux head size must be a multiple of 32 (so that headDim/8 and the two spatial shares are whole pairs); got $headDim"
        }
        val spatial = (headDim - headDim / 8) / 2
        return intArrayOf(headDim / 8, spatial, spatial)
    }

    /** Patch-grid tokens for a latent of that size (2×2 patches). */
    fun imageTokens(latentW: Long, latentH: Long): Long = (latentW / 2) * (latentH / 2)

    /**
     * The table for [textTokens] text tokens followed by the patches of a [latentW]×[latentH] latent, in the graph's
     * token order: F32 [headDim/2, tokens, 2], cosines of the angles in the first plane (index i + headDim/2 · t), sines
     * in the second.
     */
    fun table(headDim: Int, latentW: Long, latentH: Long, textTokens: Long): FloatArray {
        require(latentW % 2 == 0L && latentH % 2 == 0L) { "Flux latents have even sizes (2×2 patches); got ${latentW}×$latentH" }
        val axes = axes(headDim)
        val half = headDim / 2
        val gridW = latentW / 2
        val tokens = (textTokens + imageTokens(latentW, latentH)).toInt()
        val out = FloatArray(half * tokens * 2)
        val position = DoubleArray(3)
        for (t in 0 until tokens) {
            val patch = t - textTokens
            position[0] = 0.0
            position[1] = if (patch < 0) 0.0 else (patch / gridW).toDouble()
            position[2] = if (patch < 0) 0.0 else (patch % gridW).toDouble()
            var i = 0
            for ((axis, width) in axes.withIndex()) {
                for (m in 0 until width / 2) {
                    val angle = position[axis] * THETA.pow(-2.0 * m / width)
                    out[i + half * t] = cos(angle).toFloat()
                    out[i + half * t + half * tokens] = sin(angle).toFloat()
                    i++
                }
            }
        }
        return out
    }

    /**
     * Rotates q or k [C, T, N] (C = heads × headDim, channel h·headDim + e) by the table [pe] ([table]'s layout, T
     * tokens). Pair members are taken apart into two planes, rotated with broadcast products, and interleaved again
     * by concatenation: only element-wise ops every backend has.
     */
    fun apply(ctx: GgmlContext, x: Tensor, pe: Tensor, heads: Int): Tensor {
        val c = x.ne(0)
        val t = x.ne(1)
        val n = x.ne(2)
        val half = c / heads / 2
        require(pe.ne(0) == half && pe.ne(1) == t) { "rope table ${pe.shape().toList()} does not fit $heads heads of ${2 * half} over $t tokens" }
        val pairs = ctx.reshape(x, 2, half, heads.toLong(), t * n)
        val s = pairs.strides()
        val first = ctx.cont(ctx.view4d(pairs, 1, half, heads.toLong(), t * n, s[1], s[2], s[3], 0))
        val second = ctx.cont(ctx.view4d(pairs, 1, half, heads.toLong(), t * n, s[1], s[2], s[3], s[0]))
        val planeBytes = pe.strides()[2]
        val cos = ctx.reshape(ctx.view2d(pe, half, t, pe.strides()[1], 0), 1, half, 1, t)
        val sin = ctx.reshape(ctx.view2d(pe, half, t, pe.strides()[1], planeBytes), 1, half, 1, t)
        val rotatedFirst = ctx.sub(ctx.mul(first, cos), ctx.mul(second, sin))
        val rotatedSecond = ctx.add(ctx.mul(first, sin), ctx.mul(second, cos))
        return ctx.reshape(ctx.concat(rotatedFirst, rotatedSecond, 0), c, t, n)
    }
}
