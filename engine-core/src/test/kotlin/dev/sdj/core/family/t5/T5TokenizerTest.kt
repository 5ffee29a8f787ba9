package dev.sdj.core.family.t5

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTimeoutPreemptively
import org.junit.jupiter.api.Test
import java.time.Duration

/**
 * The real T5 vocabulary: ids published by others first, then the rules one by one. Every expected list below was
 * also checked against Hugging Face's tokenizers.js run on the same tokenizer.json.
 */
class T5TokenizerTest {
    private val tokenizer = T5TestVocabulary.tokenizer
    private val vocabulary = T5TestVocabulary.vocabulary

    private fun ids(text: String) = tokenizer.encode(text) + vocabulary.eosId

    @Test
    fun `the special ids come from the file`() {
        assertEquals(32100, vocabulary.size)
        assertEquals(0, vocabulary.padId)
        assertEquals(1, vocabulary.eosId)
        assertEquals(2, vocabulary.unkId)
        assertEquals("▁Hello", vocabulary.piece(8774))
        assertEquals(-11.560791015625, vocabulary.score(8774))
        assertNull(vocabulary.id("</s>"), "control pieces are never segmented out of text")
        assertNull(vocabulary.id("<extra_id_0>"))
        assertNotNull(vocabulary.charsmap)
    }

    /** A tokenizer.json fixture for google-t5/t5-base (a Dart tokenizers port's Hugging Face parity cases). */
    @Test
    fun `Hello world`() {
        assertEquals(listOf(8774, 296, 1), ids("Hello world"))
    }

    /** The same fixture: tabs and newlines are spaces after normalization. */
    @Test
    fun `tab and newline separate words like a space`() {
        assertEquals(listOf(8774, 296, 541, 1), ids("Hello\tworld\nagain"))
    }

    /**
     * The sentence of the transformers T5 documentation; the ids as ColossalAI's model zoo records
     * `T5Tokenizer.from_pretrained("t5-small")` giving them.
     */
    @Test
    fun `the transformers documentation sentence`() {
        assertEquals(listOf(13959, 1566, 12, 2968, 10, 37, 629, 19, 1627, 5, 1),
            ids("translate English to German: The house is wonderful."))
    }

    /** Bumblebee's T5 tokenizer test (t5-small), attention mask included. */
    @Test
    fun `Bumblebee's translation prompt`() {
        val tokens = tokenizer.tokenize("translate English to German: How old are you?", 11)
        assertEquals(listOf(13959, 1566, 12, 2968, 10, 571, 625, 33, 25, 58, 1), tokens.ids)
        assertEquals(List(11) { 1 }, tokens.attentionMask)
    }

    /** hasktorch's T5 beam-search example input; "a" after a space is "▁" then "a" in T5's vocabulary. */
    @Test
    fun `hasktorch's example, with the lone article split from its boundary`() {
        assertEquals(listOf(13959, 1566, 12, 2968, 10, 6536, 43, 2008, 24, 293, 53, 3, 9, 1782, 19, 207, 21, 25, 1),
            ids("translate English to German: Studies have shown that owning a dog is good for you"))
    }

    @Test
    fun `a Flux-style prompt`() {
        assertEquals(listOf(71, 1202, 13, 3, 9, 1712, 7494, 3, 9, 4952, 30, 11856, 6, 314, 157, 6, 1385, 3117, 1),
            ids("A photo of a cat riding a horse on Mars, 4k, highly detailed"))
    }

    @Test
    fun `runs of spaces collapse, and leading and trailing spaces become one boundary each`() {
        assertEquals(listOf(3, 9, 3, 115, 3, 1), ids("  a   b  "))
        assertEquals(listOf(3, 1), ids(" "))
    }

    @Test
    fun `the precompiled map folds full-width letters, ligatures, composed accents and zero-width spaces`() {
        assertEquals(listOf(423, 1), ids("ｆｕｌｌ"))
        assertEquals(listOf(361, 1), ids("ﬁ"))
        assertEquals(listOf(11949, 1), ids("café"))
        assertEquals(listOf(11949, 1), ids("cafe\u0301"))
        assertEquals(listOf(586, 1), ids("①②"))
        assertEquals(listOf(3, 226, 3, 63, 1), ids("x\u200by"))
    }

    @Test
    fun `characters without a piece become one unk per run`() {
        assertEquals(listOf(3, 2, 1), ids("你好"))
        assertEquals(listOf(3, 2, 3, 2, 1), ids("你好 世界"))
        assertEquals(listOf(3, 2, 1), ids("😀"))
    }

    @Test
    fun `special token text in the prompt is spelled with ordinary pieces`() {
        assertEquals(false, tokenizer.encode("</s>").contains(vocabulary.eosId))
    }

    @Test
    fun `an empty prompt is just end of sequence and padding`() {
        val tokens = tokenizer.tokenize("", 256)
        assertEquals(listOf(1) + List(255) { 0 }, tokens.ids)
        assertEquals(listOf(1) + List(255) { 0 }, tokens.attentionMask)
    }

    @Test
    fun `padding to schnell's 256 and dev's 512 masks only the padding`() {
        for (length in listOf(256, 512)) {
            val tokens = tokenizer.tokenize("Hello world", length)
            assertEquals(listOf(8774, 296, 1) + List(length - 3) { 0 }, tokens.ids)
            assertEquals(listOf(1, 1, 1) + List(length - 3) { 0 }, tokens.attentionMask)
        }
    }

    @Test
    fun `truncation keeps end of sequence as the last token`() {
        val long = List(300) { "Hello" }.joinToString(" ")
        val tokens = tokenizer.tokenize(long, 256)
        assertEquals(256, tokens.ids.size)
        assertEquals(List(255) { 8774 } + 1, tokens.ids)
        assertEquals(List(256) { 1 }, tokens.attentionMask)
        assertEquals(listOf(8774, 296, 1), tokenizer.tokenize("Hello world again", 3).ids)
    }

    @Test
    fun `a length below one is refused`() {
        assertThrows(IllegalArgumentException::class.java) { tokenizer.tokenize("x", 0) }
    }

    @Test
    fun `segmentation is linear in the text length`() {
        val text = "a photograph of an astronaut riding a horse, ".repeat(4000) + "x".repeat(50_000)
        assertTimeoutPreemptively(Duration.ofSeconds(10)) { tokenizer.encode(text) }
    }
}
