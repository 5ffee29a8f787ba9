package dev.sdj.core.family.gemma3

import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The prompt layout and the masks as stable-diffusion.cpp's LTX-2 conditioner builds them. */
class Gemma3PromptTest {
    @Test
    fun `bos then the prompt, padded on the left`() {
        val p = Gemma3Prompt.of(intArrayOf(17, 18, 19), 6)
        assertArrayEquals(intArrayOf(0, 0, 2, 17, 18, 19), p.ids)
        assertEquals(2, p.padding)
        assertEquals(4, p.valid)
        assertEquals(1024, Gemma3Prompt.of(intArrayOf(5)).ids.size)
    }

    @Test
    fun `a prompt longer than the length is not cut`() {
        val p = Gemma3Prompt.of(IntArray(7) { 10 + it }, 4)
        assertEquals(8, p.ids.size)
        assertEquals(0, p.padding)
        assertEquals(2, p.ids[0])
    }

    private fun at(mask: FloatArray, tokens: Int, query: Int, key: Int) = mask[key + tokens * query]

    @Test
    fun `padding and later keys are masked with finite values, the window with minus infinity`() {
        val m = Gemma3Masks.local(tokens = 8, padding = 2, window = 3)
        val masked = Gemma3Masks.MASKED
        assertEquals(0f, at(m, 8, 5, 5), "a token sees itself")
        assertEquals(0f, at(m, 8, 5, 3), "two tokens back is inside a window of 3")
        assertEquals(Float.NEGATIVE_INFINITY, at(m, 8, 5, 2), "three tokens back is outside")
        assertEquals(masked, at(m, 8, 5, 6), "a later key")
        assertEquals(masked, at(m, 8, 1, 0), "a padding key before a padding query")
        assertEquals(2 * masked, at(m, 8, 0, 1), "a later padding key")
        val g = Gemma3Masks.global(tokens = 8, padding = 2)
        assertEquals(0f, at(g, 8, 7, 2), "global layers see the whole prompt before the query")
        assertEquals(masked, at(g, 8, 7, 1), "but never padding")
        assertEquals(true, g.all { it.isFinite() }, "no row of a global mask is all −∞")
    }
}
