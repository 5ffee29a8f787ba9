package dev.sdj.core.lora

import dev.sdj.core.model.TensorRef

/**
 * A matrix of a LoRA file as f32 values, row-major: [rows] is the tensor's outermost (PyTorch first) dimension,
 * [cols] the product of the others (a convolution's input channels × kernel height × width), of which [kernel] are
 * the elements after the second dimension (a convolution kernel's height × width; 1 for a matrix).
 */
class LoraMatrix(val rows: Int, val cols: Int, val values: FloatArray, val kernel: Int = 1) {
    init {
        require(rows.toLong() * cols == values.size.toLong()) { "$rows × $cols matrix with ${values.size} values" }
        require(kernel >= 1 && cols % kernel == 0) { "$rows × $cols matrix with kernels of $kernel" }
    }
}

/**
 * What one layer of a LoRA file adds to the weight it adapts, merged: factor · its product, a [rows] × [cols] matrix
 * (output features × the weight's other dimensions, flattened as the weight's rows are).
 */
interface LoraDelta {
    /** The name the file gives the weight, without the suffixes of the layer's tensors. */
    val key: String
    val rows: Int
    val cols: Int

    /** The elements of the weight it adapts. */
    val weightElements: Long get() = rows.toLong() * cols

    /** What the product is multiplied by for a LoRA of weight [multiplier], in f32 as stable-diffusion.cpp computes it. */
    fun factor(multiplier: Float): Float

    /** Adds [factor] times the product to [weights], or with [span] the rows it names to the rows of [weights] it names. */
    fun addTo(weights: FloatArray, factor: Float, span: RowSpan? = null)
}

/**
 * One adapted weight of a LoRA file in low-rank form: the weight W (out × in, or out × in × k × k for a LoCon
 * convolution) becomes W + factor · up·down, up out × rank (× 1 × 1), down rank × in (× k × k).
 *
 * @param key the name the file gives the weight, without the up/down/alpha suffix (`lora_unet_…_to_q`, `unet.….to_q`)
 * @param alpha the trained alpha: scaled by alpha / rank; [scale], where a file stores one, takes precedence
 * @param sources up's and down's bytes in the file, which the low-rank graph ops load as parameters; null for a layer
 *   made in memory
 */
class LoraLayer(override val key: String, val up: LoraMatrix, val down: LoraMatrix, val alpha: Float?, val scale: Float?,
                val sources: Pair<TensorRef, TensorRef>? = null) : LoraDelta {
    val rank: Int get() = down.rows

    override val rows: Int get() = up.rows
    override val cols: Int get() = down.cols

    /** What up·down is multiplied by: stable-diffusion.cpp's scale (else alpha / rank, else 1) times [multiplier], in f32. */
    override fun factor(multiplier: Float): Float = (scale ?: alpha?.let { it / rank.toFloat() } ?: 1f) * multiplier

    override fun addTo(weights: FloatArray, factor: Float, span: RowSpan?) = LoraMerge.add(weights, this, factor, span)
}
