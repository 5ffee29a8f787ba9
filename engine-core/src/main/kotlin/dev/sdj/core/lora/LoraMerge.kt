package dev.sdj.core.lora

import java.util.stream.IntStream

/**
 * W += factor · product in f32, as stable-diffusion.cpp merges a LoRA: the product first (a low-rank one summed over
 * the rank in order), then scaled, then added. Rows are shared among the CPU's cores.
 */
object LoraMerge {
    /** Rows per task: enough work per task that splitting pays. */
    private const val ROWS_PER_TASK = 64

    /** Writes row [o] of a product into `into`, given a second row of scratch space. */
    fun interface ProductRows {
        fun row(o: Int, into: FloatArray, scratch: FloatArray)
    }

    /** Adds [layer]'s whole up·down to [weights], or with [rows] the rows it names to the rows of [weights] it names. */
    fun add(weights: FloatArray, layer: LoraLayer, factor: Float, rows: RowSpan? = null) {
        val up = layer.up
        val down = layer.down
        require(up.cols == down.rows) { "LoRA '${layer.key}': up is ${up.rows} × ${up.cols}, down ${down.rows} × ${down.cols}" }
        add(weights, layer, factor, rows) { o, into, _ -> productRow(up, down, o, into) }
    }

    /** Adds [factor] times [delta]'s product, whose rows [product] writes, as [add] does. */
    fun add(weights: FloatArray, delta: LoraDelta, factor: Float, rows: RowSpan?, product: ProductRows) {
        val span = rows ?: RowSpan(0, 0, delta.rows, delta.rows, delta.rows)
        val cols = delta.cols
        require(span.loraRows == delta.rows && weights.size.toLong() == span.tensorRows.toLong() * cols) {
            "LoRA '${delta.key}' (${delta.rows} × $cols) onto ${span.tensorRows} rows: the weight has ${weights.size} elements"
        }
        val shift = span.tensorFirst - span.loraFirst
        val end = span.loraFirst + span.count
        val tasks = (span.count + ROWS_PER_TASK - 1) / ROWS_PER_TASK
        IntStream.range(0, tasks).parallel().forEach { t ->
            val from = span.loraFirst + t * ROWS_PER_TASK
            val row = FloatArray(cols)
            val scratch = FloatArray(cols)
            for (o in from until minOf(end, from + ROWS_PER_TASK)) {
                product.row(o, row, scratch)
                val base = (o + shift) * cols
                for (j in 0 until cols) weights[base + j] += row[j] * factor
            }
        }
    }

    /** Row [o] of up·down into [into], summed over the rank in order. */
    fun productRow(up: LoraMatrix, down: LoraMatrix, o: Int, into: FloatArray) {
        val cols = down.cols
        val rank = down.rows
        into.fill(0f)
        for (k in 0 until rank) {
            val a = up.values[o * rank + k]
            val offset = k * cols
            for (j in 0 until cols) into[j] += a * down.values[offset + j]
        }
    }
}
