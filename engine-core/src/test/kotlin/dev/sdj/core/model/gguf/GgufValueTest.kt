package dev.sdj.core.model.gguf

import dev.sdj.core.model.gguf.GgufValue.Companion.array
import dev.sdj.core.model.gguf.GgufValue.Companion.bool
import dev.sdj.core.model.gguf.GgufValue.Companion.float32
import dev.sdj.core.model.gguf.GgufValue.Companion.int32
import dev.sdj.core.model.gguf.GgufValue.Companion.string
import dev.sdj.core.model.gguf.GgufValue.Companion.stringArray
import dev.sdj.core.model.gguf.GgufValue.Companion.uint32
import dev.sdj.core.model.gguf.GgufValue.Companion.uint64
import dev.sdj.core.model.gguf.GgufValue.Companion.uint8
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class GgufValueTest {
    @Test
    fun `accessors answer for their own kind and null for others`() {
        assertEquals("x", string("x").asString())
        assertEquals(7L, uint8(7).asLong())
        assertEquals(7.0, uint8(7).asDouble())
        assertEquals(1.5, float32(1.5f).asDouble())
        assertEquals(true, bool(true).asBoolean())
        assertEquals(listOf("a", "b"), stringArray(listOf("a", "b")).asStringList())
        assertNull(string("1").asLong())
        assertNull(int32(1).asString())
        assertNull(int32(1).asBoolean())
        assertNull(float32(1f).asLong())
        assertNull(bool(true).asDouble())
        assertNull(array(GgufValueType.INT32, listOf(int32(1))).asStringList())
    }

    @Test
    fun `a uint64 above the long range has no long value but has a double value`() {
        assertNull(uint64(-1L).asLong())
        assertEquals(1.8446744073709552E19, uint64(-1L).asDouble())
        assertEquals(5L, uint64(5).asLong())
    }

    @Test
    fun `the stored type is part of the value`() {
        assertNotEquals(uint8(1), int32(1))
        assertNotEquals(uint32(1), int32(1))
    }

    @Test
    fun `factories reject values their type cannot hold`() {
        assertThrows<IllegalArgumentException> { uint8(256) }
        assertThrows<IllegalArgumentException> { uint8(-1) }
        assertThrows<IllegalArgumentException> { uint32(-1) }
        assertThrows<IllegalArgumentException> { uint32(1L shl 32) }
        assertThrows<IllegalArgumentException> { GgufValue.FloatValue(GgufValueType.FLOAT32, 0.1) }
        assertThrows<IllegalArgumentException> { GgufValue.IntValue(GgufValueType.STRING, 0) }
        assertThrows<IllegalArgumentException> { array(GgufValueType.INT32, listOf(uint8(1))) }
    }
}
