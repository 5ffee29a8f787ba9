package dev.sdj.core.model.gguf

/**
 * GGUF metadata value types, with the number each is stored under.
 *
 * @param minSize fewest bytes one value takes in the file (a string's length prefix, an array's type and count), so a
 *   reader can reject a count the rest of the file cannot hold before allocating for it
 * @param range the values an integer type holds, or null for non-integer types; UINT64 values are kept as their 64-bit
 *   pattern in a Long, so its range is all of Long
 */
enum class GgufValueType(val id: Int, val minSize: Int, val range: LongRange? = null) {
    UINT8(0, 1, 0L..0xFFL),
    INT8(1, 1, Byte.MIN_VALUE.toLong()..Byte.MAX_VALUE.toLong()),
    UINT16(2, 2, 0L..0xFFFFL),
    INT16(3, 2, Short.MIN_VALUE.toLong()..Short.MAX_VALUE.toLong()),
    UINT32(4, 4, 0L..0xFFFF_FFFFL),
    INT32(5, 4, Int.MIN_VALUE.toLong()..Int.MAX_VALUE.toLong()),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 8),
    ARRAY(9, 12),
    UINT64(10, 8, Long.MIN_VALUE..Long.MAX_VALUE),
    INT64(11, 8, Long.MIN_VALUE..Long.MAX_VALUE),
    FLOAT64(12, 8);

    companion object {
        private val byId = entries.associateBy { it.id }

        /** The type stored under [id], or null when the number is not a GGUF value type. */
        fun ofId(id: Int): GgufValueType? = byId[id]
    }
}
