package dev.sdj.core.model.convert

import dev.sdj.core.model.TensorRef

/**
 * One tensor of a converted file: its [name] and ggml [shape] there, and the source tensors (or row ranges of them)
 * whose rows it holds, in order. Most are one source tensor; a fused projection is several stacked along the last
 * (outermost) dimension, which, block quantization being per row, converts part by part to the same bytes as whole.
 */
data class ConvertedTensor(val name: String, val shape: List<Long>, val parts: List<TensorRef>)
