package dev.sdj.core.family.clip

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The real vocabulary: ids from public sources, then CLIP's text rules one by one. */
class ClipTokenizerTest {
    private val tokenizer = ClipTestVocabulary.tokenizer

    private fun padded(vararg ids: Int, pad: Int = 49407) = ids.toList() + List(77 - ids.size) { pad }

    @Test
    fun `the vocabulary has CLIP's size and special ids`() {
        val vocab = ClipTestVocabulary.vocabulary
        assertEquals(49408, vocab.size)
        assertEquals(49406, vocab.bosId)
        assertEquals(49407, vocab.eosId)
        assertEquals(320, vocab.id("a</w>"))
        assertEquals(ClipVocabulary.OPENAI_MERGE_COUNT, vocab.merges.size)
    }

    @Test
    fun `a photo of a cat`() {
        assertEquals(listOf(320, 1125, 539, 320, 2368), tokenizer.encode("a photo of a cat"))
        assertEquals(padded(49406, 320, 1125, 539, 320, 2368, 49407), tokenizer.tokenizeForModel("a photo of a cat"))
    }

    /** openai/CLIP notebooks/Interacting_with_CLIP.ipynb: the printed output of `clip.tokenize("Hello World!")`. */
    @Test
    fun `Hello World as in OpenAI's notebook, padded with zeros like clip tokenize`() {
        assertEquals(padded(49406, 3306, 1002, 256, 49407, pad = 0), tokenizer.tokenizeForModel("Hello World!", padId = 0))
    }

    /** pytorch/torchtune tests/torchtune/models/clip/test_clip_tokenizer.py, `test_tokenization`. */
    @Test
    fun `torchtune's expected sequences`() {
        assertEquals(
            padded(49406, 320, 9706, 11476, 962, 518, 3293, 49407),
            tokenizer.tokenizeForModel("a cow jumping over the moon"),
        )
        assertEquals(padded(49406, 320, 12695, 2215, 6799, 49407), tokenizer.tokenizeForModel("a helpful AI assistant"))
    }

    // The expectations below come from OpenAI's simple_tokenizer.py algorithm run on this vocabulary without ftfy
    // (NFC kept), in Python with the `regex` module.

    @Test
    fun `apostrophes split off as CLIP's contractions`() {
        assertEquals(listOf(585, 568), tokenizer.encode("it's"))
        assertEquals(listOf(847, 713), tokenizer.encode("don't"))
        assertEquals(listOf(328, 1342, 267, 649, 1200, 261, 889, 982), tokenizer.encode("I'll, we've & they're"))
    }

    @Test
    fun `punctuation runs form one word and case does not matter`() {
        assertEquals(listOf(3306, 267, 1002, 995), tokenizer.encode("hello, world!!!"))
        assertEquals(tokenizer.encode("a photo of a cat"), tokenizer.encode("A Photo Of A CAT"))
    }

    @Test
    fun `numbers split into single digits`() {
        assertEquals(listOf(272, 273, 274, 275), tokenizer.encode("1234"))
        assertEquals(listOf(274, 269, 272, 275), tokenizer.encode("3.14"))
    }

    @Test
    fun `whitespace runs collapse and ends are stripped`() {
        assertEquals(listOf(320, 321, 322, 323), tokenizer.encode("a   b\n\nc\t d"))
        assertEquals(listOf(42253), tokenizer.encode("  padded  "))
        assertEquals(tokenizer.encode("a b"), tokenizer.encode("a\u00A0\u3000b"))
    }

    @Test
    fun `html entities are unescaped twice`() {
        assertEquals(listOf(320, 261, 321), tokenizer.encode("a &amp; b"))
        assertEquals(
            listOf(283, 3640, 285, 261, 5811, 273, 271, 273, 275, 262, 336, 262, 22979, 6309, 126, 479),
            tokenizer.encode("&lt;tag&gt; &amp;amp; &copy2024 &#39;q&#39; &#x1F431; &#128; &#129;"),
        )
    }

    @Test
    fun `accents CJK and emoji become byte-level tokens`() {
        assertEquals(listOf(15304), tokenizer.encode("café"))
        assertEquals(listOf(15304), tokenizer.encode("cafe\u0301"))
        assertEquals(listOf(1097, 35689, 563, 6522, 77, 35689, 66, 7255, 67, 4166), tokenizer.encode("naïve Ünïcödé"))
        assertEquals(listOf(163, 234, 360), tokenizer.encode("猫"))
        assertEquals(
            listOf(39121, 44353, 34002, 252, 21575, 2429, 228, 47121, 32421, 486),
            tokenizer.encode("日本語のテキスト"),
        )
        assertEquals(listOf(35710, 13542), tokenizer.encode("🐱🚀"))
        assertEquals(listOf(131, 228, 908, 566, 129, 123, 339, 171, 105, 223, 810), tokenizer.encode("ǅemal ſt ﬁre"))
    }

    @Test
    fun `Greek final sigma follows Python's rule`() {
        val stem = listOf(139, 225, 138, 107, 139, 225, 139, 227, 139, 228, 138, 123, 139)
        assertEquals(stem + listOf(481, 281, 3937), tokenizer.encode("ΣΊΣΥΦΟΣ:ab"))
        assertEquals(stem + listOf(480, 2005, 3937), tokenizer.encode("ΣΊΣΥΦΟΣ—ab"))
        assertEquals(stem + listOf(480, 274), tokenizer.encode("ΣΊΣΥΦΟΣ3"))
    }

    @Test
    fun `any text decodes back to its cleaned form`() {
        for (text in listOf("naïve Ünïcödé", "日本語のテキスト 🐱🚀", "it's 3.14!", "x\u0000y\u007f\uFFFF")) {
            val decoded = tokenizer.decode(tokenizer.encode(text))
            assertEquals(ClipText.words(text).joinToString(""), decoded.replace(" ", ""), text)
        }
    }

    @Test
    fun `special token text maps to the special ids where CLIP's pattern finds it`() {
        assertEquals(listOf(49407, 2481), tokenizer.encode("<|endoftext|> ok"))
        assertEquals(listOf(343, 49407), tokenizer.encode("x<|ENDOFTEXT|>"))
        // After punctuation the punctuation run takes the "<|" first, so OpenAI's tokenizer spells the word out.
        assertEquals(listOf(0, 27, 347, 993, 6659, 4160, 91, 29, 256), tokenizer.encode("!<|startoftext|>!"))
    }

    @Test
    fun `an empty prompt is BOS, EOS and padding`() {
        assertEquals(emptyList<Int>(), tokenizer.encode(""))
        assertEquals(padded(49406, 49407), tokenizer.tokenizeForModel(""))
        assertEquals(padded(49406, 49407), tokenizer.tokenizeForModel(" \n\t "))
    }

    @Test
    fun `a long prompt is cut to 75 tokens with EOS at position 76`() {
        val ids = tokenizer.tokenizeForModel((1..100).joinToString(" ") { "cat" })
        assertEquals(77, ids.size)
        assertEquals(49406, ids[0])
        assertTrue(ids.subList(1, 76).all { it == 2368 })
        assertEquals(49407, ids[76])
    }

    @Test
    fun `a shorter model length is honoured`() {
        assertEquals(listOf(49406, 320, 1125, 49407), tokenizer.tokenizeForModel("a photo of a cat", maxLength = 4))
    }
}
