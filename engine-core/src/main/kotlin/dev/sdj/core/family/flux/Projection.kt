package dev.sdj.core.family.flux

import dev.sdj.core.graph.Weights
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.Tensor

/**
 * A linear layer y = W x + b (W [in, out] in ggml order) that may be a run of output rows of a larger, fused layer.
 * Each output row's product depends only on that row, so rows read through a view of a fused tensor and the same
 * rows stored as a tensor of their own compute the same values: one graph serves fused and separate layouts.
 */
class Projection(private val weight: Tensor, private val bias: Tensor?) {
    val inFeatures: Long get() = weight.ne(0)
    val outFeatures: Long get() = weight.ne(1)

    fun apply(ctx: GgmlContext, x: Tensor): Tensor {
        val y = ctx.mulMat(weight, x)
        return if (bias == null) y else ctx.add(y, bias)
    }

    /** Output rows [from, from + count) as a layer of their own: views of the same memory, nothing copied. */
    fun rows(ctx: GgmlContext, from: Long, count: Long): Projection {
        require(weight.dimensions() <= 2 && from >= 0 && count > 0 && from + count <= outFeatures) {
            "rows [$from, ${from + count}) of a projection with $outFeatures outputs (${weight.shape().toList()})"
        }
        val rowBytes = weight.strides()[1]
        val w = ctx.view2d(weight, inFeatures, count, rowBytes, from * rowBytes)
        val b = bias?.let { ctx.view1d(it, count, from * it.strides()[0]) }
        return Projection(w, b)
    }

    /** [parts] consecutive runs of equal width: a fused layer's chunks in storage order. */
    fun chunks(ctx: GgmlContext, parts: Int): List<Projection> {
        require(outFeatures % parts == 0L) { "$outFeatures outputs do not split into $parts equal chunks" }
        val width = outFeatures / parts
        return List(parts) { rows(ctx, it * width, width) }
    }

    companion object {
        /** The layer [name] of [w]: `name.weight`, and `name.bias` when there is one. */
        fun of(w: Weights, name: String) = Projection(w.get("$name.weight"), if (w.has("$name.bias")) w.get("$name.bias") else null)
    }
}
