package dev.sdj.core.memory

import dev.sdj.ggml.GgmlType

/** Whether a device's ops take a parameter of some type, used in some way, at some shape (ggml order). */
fun interface TypeSupport {
    fun accepts(use: WeightUse, type: GgmlType, shape: List<Long>): Boolean
}
