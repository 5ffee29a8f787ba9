package dev.sdj.core.lora

import dev.sdj.core.model.TensorRef

/**
 * A matrix of a LoRA file as f32 values, row-major: [rows] is the tensor's outermost (PyTorch first) dimension,
 * [cols] the product of the others (a convolution's input channels × kernel height × width).
 */
class LoraMatrix(val rows: Int, val cols: Int, val values: FloatArray) {
    init {
        require(rows.toLong() * cols == values.size.toLong()) { "$rows × $cols matrix with ${values.size} values" }
    }
}

/**
 * One adapted weight of a LoRA file: the weight W (out × in, or out × in × k × k for a LoCon convolution) becomes
 * W + factor · up·down, up out × rank (× 1 × 1), down rank × in (× k × k).
 *
 * @param key the name the file gives the weight, without the up/down/alpha suffix (`lora_unet_…_to_q`, `unet.….to_q`)
 * @param alpha the trained alpha: scaled by alpha / rank; [scale], where a file stores one, takes precedence
 * @param sources up's and down's bytes in the file, which the low-rank graph ops load as parameters; null for a layer
 *   made in memory
 */
class LoraLayer(val key: String, val up: LoraMatrix, val down: LoraMatrix, val alpha: Float?, val scale: Float?,
                val sources: Pair<TensorRef, TensorRef>? = null) {
    val rank: Int get() = down.rows

    /** The elements of the weight it adapts. */
    val weightElements: Long get() = up.rows.toLong() * down.cols

    /** What up·down is multiplied by: stable-diffusion.cpp's scale (else alpha / rank, else 1) times [multiplier], in f32. */
    fun factor(multiplier: Float): Float = (scale ?: alpha?.let { it / rank.toFloat() } ?: 1f) * multiplier
}
