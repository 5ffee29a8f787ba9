package dev.sdj.core.model

/**
 * Where the bytes of one canonical tensor come from: a tensor of a file, or a contiguous part of one (a fused
 * q/k/v projection split into its three parts). [shape] may differ from the file's when the bytes are the same
 * (a linear weight [C, C] used as a 1×1 convolution [1, 1, C, C]).
 */
data class TensorRef(
    val file: ModelFile,
    val info: TensorInfo,
    val shape: List<Long> = info.shape,
    val byteOffset: Long = 0,
    val byteSize: Long = info.byteSize,
) {
    init {
        require(byteOffset >= 0 && byteOffset + byteSize <= info.byteSize) {
            "slice [$byteOffset, ${byteOffset + byteSize}) is outside tensor '${info.name}' of ${info.byteSize} bytes"
        }
        require(info.type.byteSize(shape) == byteSize) {
            "shape $shape of ${info.type} does not match $byteSize bytes of '${info.name}'"
        }
    }

    val type: DType get() = info.type

    /** Absolute file offset of the first byte. */
    val fileOffset: Long get() = info.offset + byteOffset
}
