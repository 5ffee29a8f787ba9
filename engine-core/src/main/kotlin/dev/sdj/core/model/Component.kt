package dev.sdj.core.model

/**
 * One component of a model: its tensors under the family's canonical names, each pointing at its bytes in some
 * file. Files may be shared between components (a single-file checkpoint) or hold one each (split files).
 */
data class Component(val kind: ComponentKind, val tensors: Map<String, TensorRef>) {
    val parameterCount: Long get() = tensors.values.sumOf { it.shape.fold(1L) { a, b -> a * b } }
    val fileBytes: Long get() = tensors.values.sumOf { it.byteSize }
}
