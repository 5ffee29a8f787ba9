package dev.sdj.core.memory

import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType

/** A parameter tensor as it will live on a device: its name, the ggml type it is stored in, its shape (ggml order). */
data class ParamSpec(val name: String, val type: GgmlType, val shape: List<Long>) {
    init {
        require(shape.size in 1..4) { "ggml tensors have 1 to 4 dimensions; '$name' has ${shape.size}: $shape" }
    }

    /** The bytes of its data, as loading it writes them (its layout in a buffer may be padded). */
    fun dataBytes(ggml: Ggml): Long = ggml.rowSize(type, shape[0]) * shape.drop(1).fold(1L) { a, b -> a * b }
}
