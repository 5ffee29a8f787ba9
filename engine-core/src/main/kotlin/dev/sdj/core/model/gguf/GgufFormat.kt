package dev.sdj.core.model.gguf

/** Layout facts the reader and the writer must agree on. */
internal object GgufFormat {
    val MAGIC = byteArrayOf(0x47, 0x47, 0x55, 0x46)
    const val VERSION = 3
    const val ALIGNMENT_KEY = "general.alignment"
    const val DEFAULT_ALIGNMENT = 32L
    const val MAX_DIMS = 4

    /** Name length, n_dims, one dimension, type and offset: the least a tensor info can take. */
    const val MIN_TENSOR_INFO_SIZE = 8 + 4 + 8 + 4 + 8

    /** Key length, value type and a one-byte value: the least a metadata entry can take. */
    const val MIN_ENTRY_SIZE = 8 + 4 + 1

    /** The alignment [value] of `general.alignment` asks for, or null when it is not a usable one. */
    fun alignmentOf(value: GgufValue): Long? {
        val n = (value as? GgufValue.IntValue)?.takeIf { it.type == GgufValueType.UINT32 }?.value ?: return null
        return n.takeIf { it > 0 && it and (it - 1) == 0L }
    }

    fun alignUp(position: Long, alignment: Long): Long = (position + alignment - 1) / alignment * alignment
}
