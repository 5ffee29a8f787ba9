package dev.sdj.core.model

/**
 * One tensor in a model file.
 *
 * @param shape element counts in ggml order (dimension 0 is the fastest-varying); safetensors' row-major shapes are
 *   reversed on reading
 * @param offset absolute byte offset of the tensor's data in the file
 * @param byteSize bytes of data, exactly as stored
 */
data class TensorInfo(val name: String, val type: DType, val shape: List<Long>, val offset: Long, val byteSize: Long) {
    val elementCount: Long get() = shape.fold(1L) { a, b -> a * b }
}
