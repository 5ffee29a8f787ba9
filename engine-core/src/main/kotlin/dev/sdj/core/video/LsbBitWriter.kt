package dev.sdj.core.video

/** Bits packed least significant first into bytes, the order WebP's lossless bitstream (VP8L) reads them. */
internal class LsbBitWriter(initialCapacity: Int = 1 shl 16) {
    private var bytes = ByteArray(initialCapacity)
    private var size = 0
    private var pending = 0L
    private var pendingBits = 0

    /** Writes the low [count] bits of [value], lowest first. */
    fun write(value: Int, count: Int) {
        require(count in 0..24) { "at most 24 bits at a time, got $count" }
        pending = pending or ((value.toLong() and ((1L shl count) - 1)) shl pendingBits)
        pendingBits += count
        while (pendingBits >= 8) {
            put(pending.toInt())
            pending = pending ushr 8
            pendingBits -= 8
        }
    }

    /** The bytes written, the last one padded with zero bits. */
    fun toByteArray(): ByteArray {
        val out = bytes.copyOf(size + if (pendingBits > 0) 1 else 0)
        if (pendingBits > 0) out[size] = pending.toByte()
        return out
    }

    private fun put(b: Int) {
        if (size == bytes.size) {
            check(bytes.size < Int.MAX_VALUE / 2) { "a lossless WebP frame is limited to 1 GiB here" }
            bytes = bytes.copyOf(bytes.size * 2)
        }
        bytes[size++] = b.toByte()
    }
}
