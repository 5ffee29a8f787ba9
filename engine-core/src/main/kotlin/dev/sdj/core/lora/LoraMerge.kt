package dev.sdj.core.lora

import java.util.stream.IntStream

/**
 * W += factor · up·down in f32, as stable-diffusion.cpp merges a LoRA: the product first (summed over the rank in
 * order), then scaled, then added. Rows are shared among the CPU's cores.
 */
object LoraMerge {
    /** Rows per task: enough work per task that splitting pays. */
    private const val ROWS_PER_TASK = 64

    /** Adds the whole product to [weights], or with [rows] the rows it names to the rows of [weights] it names. */
    fun add(weights: FloatArray, layer: LoraLayer, factor: Float, rows: RowSpan? = null) {
        val up = layer.up
        val down = layer.down
        require(up.cols == down.rows) { "LoRA '${layer.key}': up is ${up.rows} × ${up.cols}, down ${down.rows} × ${down.cols}" }
        val span = rows ?: RowSpan(0, 0, up.rows, up.rows, up.rows)
        require(span.loraRows == up.rows && weights.size.toLong() == span.tensorRows.toLong() * down.cols) {
            "LoRA '${layer.key}' (${up.rows} × ${down.cols}) onto ${span.tensorRows} rows: the weight has ${weights.size} elements"
        }
        val shift = span.tensorFirst - span.loraFirst
        val end = span.loraFirst + span.count
        val tasks = (span.count + ROWS_PER_TASK - 1) / ROWS_PER_TASK
        IntStream.range(0, tasks).parallel().forEach { t ->
            val from = span.loraFirst + t * ROWS_PER_TASK
            addRows(weights, up, down, factor, from, minOf(end, from + ROWS_PER_TASK), shift)
        }
    }

    /** Up's rows [from, to) times down into the weight's rows shifted by [shift]. */
    private fun addRows(weights: FloatArray, up: LoraMatrix, down: LoraMatrix, factor: Float, from: Int, to: Int, shift: Int) {
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
            val base = (o + shift) * cols
            for (j in 0 until cols) weights[base + j] += product[j] * factor
        }
    }
}
