package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource

class PngTextTest {
    private fun roundTrip(text: Map<String, String>): List<PngTestReader.Text> =
        PngTestReader.texts(PngWriter.encode(RgbImage(1, 1, ByteArray(3)), text))

    @Test
    fun `Latin-1 values go into tEXt`() {
        val texts = roundTrip(mapOf("parameters" to "crème brûlée, 8k\nNegative prompt: blur\nSteps: 20"))
        assertEquals(1, texts.size)
        assertEquals("tEXt", texts[0].type)
        assertEquals("parameters", texts[0].keyword)
        assertEquals("crème brûlée, 8k\nNegative prompt: blur\nSteps: 20", texts[0].value)
    }

    @ParameterizedTest
    @ValueSource(strings = ["桜の下の猫, 水彩", "кошка под сакурой", "a cat 🐈", "tab\there", "carriage\r\nreturn", "euro €"])
    fun `other values go into uncompressed iTXt as UTF-8`(value: String) {
        val texts = roundTrip(mapOf("parameters" to value))
        assertEquals("iTXt", texts.single().type)
        assertEquals("parameters", texts.single().keyword)
        assertEquals(value, texts.single().value)
    }

    @Test
    fun `text is sorted by keyword and every pair reads back`() {
        val text = mapOf("parameters" to "x", "Comment" to "猫", "Author" to "a b")
        val texts = roundTrip(text)
        assertEquals(listOf("Author", "Comment", "parameters"), texts.map { it.keyword })
        assertEquals(text, texts.associate { it.keyword to it.value })
    }

    @Test
    fun `an empty value is allowed`() {
        assertEquals("", roundTrip(mapOf("k" to "")).single().value)
    }

    @Test
    fun `keywords follow the PNG rules`() {
        for (bad in listOf("", "x".repeat(80), " lead", "trail ", "two  spaces", "猫", "tab\tkey", "nul\u0000")) {
            assertThrows<IllegalArgumentException>("keyword '$bad'") { roundTrip(mapOf(bad to "v")) }
        }
        assertEquals("k".repeat(79), roundTrip(mapOf("k".repeat(79) to "v")).single().keyword)
        assertEquals("Größe ok", roundTrip(mapOf("Größe ok" to "v")).single().keyword)
    }

    @Test
    fun `values that PNG text cannot hold are refused`() {
        val nul = assertThrows<IllegalArgumentException> { roundTrip(mapOf("k" to "a\u0000b")) }
        assertTrue(nul.message!!.contains("NUL"), nul.message)
        val surrogate = assertThrows<IllegalArgumentException> { roundTrip(mapOf("k" to "a\uD83Db")) }
        assertTrue(surrogate.message!!.contains("surrogate"), surrogate.message)
    }
}
