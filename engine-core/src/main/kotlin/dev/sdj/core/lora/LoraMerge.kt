package dev.sdj.core.lora

import java.util.stream.IntStream

/**
 * W += factor · up·down in f32, as stable-diffusion.cpp merges a LoRA: the product first (summed over the rank in
 * order), then scaled, then added. Rows are shared among the CPU's cores.
 */
object LoraMerge {
    /** Rows per task: enough work per task that splitting pays. */
    private const val ROWS_PER_TASK = 64

    fun add(weights: FloatArray, layer: LoraLayer, factor: Float) {
        val up = layer.up
        val down = layer.down
        require(up.cols == down.rows) { "LoRA '${layer.key}': up is ${up.rows} × ${up.cols}, down ${down.rows} × ${down.cols}" }
        require(weights.size.toLong() == layer.weightElements) {
            "LoRA '${layer.key}' adapts ${layer.weightElements} elements, the weight has ${weights.size}"
        }
        val tasks = (up.rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK
        IntStream.range(0, tasks).parallel().forEach { t ->
            addRows(weights, up, down, factor, t * ROWS_PER_TASK, minOf(up.rows, (t + 1) * ROWS_PER_TASK))
        }
    }

    private fun addRows(weights: FloatArray, up: LoraMatrix, down: LoraMatrix, factor: Float, from: Int, to: Int) {
        val cols = down.cols
        val rank = down.rows
        val product = FloatArray(cols)
        for (o in from until to) {
            product.fill(0f)
            for (k in 0 until rank) {
                val a = up.values[o * rank + k]
                val offset = k * cols
                for (j in 0 until cols) product[j] += a * down.values[offset + j]
            }
            val base = o * cols
            for (j in 0 until cols) weights[base + j] += product[j] * factor
        }
    }
}
