package dev.sdj.core.family.t5

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** The map's format on a hand-built double array, independent of any real tokenizer file. */
class PrecompiledCharsmapTest {
    /**
     * One key, "a", replaced by "xy": the root's offset 1 leads to unit 1 xor 'a' = 96 (label 'a', a leaf below,
     * offset 2), whose leaf is unit 96 xor 2 = 98, holding value 0, the offset of "xy" in the replacement strings.
     */
    private fun blob(trieUnits: Int = 99, declaredBytes: Int = trieUnits * 4): ByteArray {
        val buffer = ByteBuffer.allocate(4 + trieUnits * 4 + 3).order(ByteOrder.LITTLE_ENDIAN)
        buffer.putInt(declaredBytes)
        val units = IntArray(trieUnits)
        units[0] = 1 shl 10
        units[96] = (2 shl 10) or 0x100 or 'a'.code
        units[98] = Int.MIN_VALUE
        units.forEach { buffer.putInt(it) }
        buffer.put("xy\u0000".toByteArray())
        return buffer.array()
    }

    @Test
    fun `listed keys are replaced and everything else is copied`() {
        val map = PrecompiledCharsmap.parse(blob())!!
        assertEquals("bxyb", map.normalize("bab"))
        assertEquals("xyxy é😀", map.normalize("aa é😀"))
        assertEquals("", map.normalize(""))
    }

    @Test
    fun `a blob too short or with a trie size past its end is not a map`() {
        assertNull(PrecompiledCharsmap.parse(byteArrayOf(1, 0, 0)))
        assertNull(PrecompiledCharsmap.parse(blob(declaredBytes = 4000)))
        assertNull(PrecompiledCharsmap.parse(blob(declaredBytes = 7)))
    }
}
