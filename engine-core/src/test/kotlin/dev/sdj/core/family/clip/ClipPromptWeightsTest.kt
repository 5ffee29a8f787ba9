package dev.sdj.core.family.clip

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class ClipPromptWeightsTest {
    private fun assertPieces(expected: List<Pair<String, Double>>, prompt: String) {
        val actual = PromptWeights.parse(prompt)
        assertEquals(expected.map { it.first }, actual.map { it.first }, prompt)
        expected.zip(actual).forEach { (e, a) -> assertEquals(e.second, a.second.toDouble(), 1e-6, "$prompt: '${e.first}'") }
    }

    /** The doctests of `parse_prompt_attention` in AUTOMATIC1111/stable-diffusion-webui modules/prompt_parser.py. */
    @Test
    fun `A1111's own examples`() {
        assertPieces(listOf("normal text" to 1.0), "normal text")
        assertPieces(listOf("an " to 1.0, "important" to 1.1, " word" to 1.0), "an (important) word")
        assertPieces(listOf("unbalanced" to 1.1), "(unbalanced")
        assertPieces(listOf("(literal]" to 1.0), "\\(literal\\]")
        assertPieces(listOf("unnecessaryparens" to 1.1), "(unnecessary)(parens)")
        assertPieces(
            listOf(
                "a " to 1.0, "house" to 1.5730000000000004, " " to 1.1, "on" to 1.0, " a " to 1.1, "hill" to 0.55,
                ", sun, " to 1.1, "sky" to 1.4641000000000006, "." to 1.1,
            ),
            "a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).",
        )
    }

    @Test
    fun `explicit, round and square weights`() {
        assertPieces(listOf("a " to 1.0, "cat" to 1.5, " on a " to 1.0, "mat" to 1 / 1.1), "a (cat:1.5) on a [mat]")
        assertPieces(listOf("cat" to 1.21), "((cat))")
        assertPieces(listOf("cat" to 1 / 1.21), "[[cat]]")
        assertPieces(listOf("a " to 1.0, "b" to 0.6 * 1.1, " c" to 1.0), "a ((b:0.6)) c")
        assertPieces(listOf("x" to 1.0), "[(x)]")
    }

    @Test
    fun `escapes give the literal characters`() {
        assertPieces(listOf("f(x) = [y]" to 1.0), "f\\(x\\) = \\[y\\]")
        assertPieces(listOf("a\\b" to 1.0), "a\\\\b")
        assertPieces(listOf("a " to 1.0, "(b)" to 1.1), "a (\\(b\\))")
        assertPieces(listOf("ab" to 1.0), "a\\b")
    }

    @Test
    fun `unbalanced and stray brackets`() {
        assertPieces(listOf("a) b] c" to 1.0), "a) b] c")
        assertPieces(listOf("a " to 1.0, "b" to 1 / 1.1), "a [b")
        assertPieces(listOf("a " to 1.0, "b" to 1.21, " c" to 1.1), "a ((b) c")
        assertPieces(listOf("x:1.5) y" to 1.0), "x:1.5) y")
        assertPieces(listOf("a:b" to 1.0), "a:b")
        assertPieces(listOf("a:1.2.3)" to 1.1), "(a:1.2.3)")
        assertPieces(listOf("" to 1.0), "")
    }

    @Test
    fun `BREAK marks a chunk boundary, whole words only`() {
        assertEquals(listOf("a" to 1f, PromptWeights.BREAK, "b" to 1f), PromptWeights.parse("a BREAK b"))
        assertEquals(listOf("a" to 1.1f, PromptWeights.BREAK, "b" to 1.1f), PromptWeights.parse("(a BREAK b)"))
        assertEquals(listOf("BREAKfast break" to 1f), PromptWeights.parse("BREAKfast break"))
    }

    @Test
    fun `weighted tokens carry each piece's weight and 1 elsewhere`() {
        val tokens = ClipTestVocabulary.tokenizer.tokenizeWeighted("a (cat:1.5) on a [mat]")
        assertEquals(1, tokens.chunkCount)
        assertEquals(listOf(49406, 320, 2368, 525, 320, 9063, 49407) + List(70) { 49407 }, tokens.ids)
        assertEquals(listOf(1f, 1f, 1.5f, 1f, 1f, (1 / 1.1).toFloat(), 1f) + List(70) { 1f }, tokens.weights)
    }

    @Test
    fun `long prompts split every 75 tokens into 77-token chunks`() {
        val tokenizer = ClipTestVocabulary.tokenizer
        val exact = tokenizer.tokenizeWeighted(List(75) { "cat" }.joinToString(" "))
        assertEquals(1, exact.chunkCount)
        assertEquals(listOf(49406) + List(75) { 2368 } + 49407, exact.ids)

        val long = tokenizer.tokenizeWeighted(List(100) { "(cat)" }.joinToString(" "))
        assertEquals(2, long.chunkCount)
        assertEquals(listOf(49406) + List(75) { 2368 } + 49407, long.chunk(0).ids)
        assertEquals(listOf(49406) + List(25) { 2368 } + List(51) { 49407 }, long.chunk(1).ids)
        assertEquals(listOf(1f) + List(25) { 1.1f } + List(51) { 1f }, long.chunk(1).weights)
    }

    @Test
    fun `BREAK closes the chunk and an empty prompt is one chunk`() {
        val tokenizer = ClipTestVocabulary.tokenizer
        val broken = tokenizer.tokenizeWeighted("a BREAK cat")
        assertEquals(2, broken.chunkCount)
        assertEquals(listOf(49406, 320, 49407), broken.chunk(0).ids.take(3))
        assertEquals(listOf(49406, 2368, 49407), broken.chunk(1).ids.take(3))
        assertEquals(2, tokenizer.tokenizeWeighted("BREAK cat").chunkCount)

        val empty = tokenizer.tokenizeWeighted("", padId = 0)
        assertEquals(listOf(49406, 49407) + List(75) { 0 }, empty.ids)
        assertEquals(List(77) { 1f }, empty.weights)
    }
}
