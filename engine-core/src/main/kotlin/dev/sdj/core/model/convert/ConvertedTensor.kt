package dev.sdj.core.model.convert

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.TensorRef

/**
 * One tensor of a converted file: its [name] and ggml [shape] there, and the source tensors (or row ranges of them)
 * whose rows it holds, in order. Most are one source tensor; a fused projection is several stacked along the last
 * (outermost) dimension, which, block quantization being per row, converts part by part to the same bytes as whole.
 * A [transposed] tensor is its one part's matrix transposed (OpenCLIP's text projection from a Hugging Face one).
 */
data class ConvertedTensor(val name: String, val shape: List<Long>, val parts: List<TensorRef>, val transposed: Boolean = false) {
    companion object {
        /** [parts] stacked along their last dimension as [name]; parts whose inner dimensions differ are an error. */
        fun stacked(name: String, parts: List<TensorRef>): ConvertedTensor {
            val inner = parts.first().shape.dropLast(1)
            parts.firstOrNull { it.shape.dropLast(1) != inner }?.let {
                throw ModelFileException(it.file.path, it.info.name, "has shape ${it.shape}, unlike the other parts of '$name' (${parts.first().shape})")
            }
            return ConvertedTensor(name, inner + parts.sumOf { it.shape.last() }, parts)
        }
    }
}
