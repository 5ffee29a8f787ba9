package dev.sdj.core.memory

import dev.sdj.ggml.GgmlType

/** A parameter tensor as it will live on a device: its name, the ggml type it is stored in, its shape (ggml order). */
data class ParamSpec(val name: String, val type: GgmlType, val shape: List<Long>) {
    init {
        require(shape.size in 1..4) { "ggml tensors have 1 to 4 dimensions; '$name' has ${shape.size}: $shape" }
    }
}
