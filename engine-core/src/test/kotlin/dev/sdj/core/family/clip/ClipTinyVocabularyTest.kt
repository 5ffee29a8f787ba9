package dev.sdj.core.family.clip

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import kotlin.random.Random

/** The generated vocabulary a generated model carries in its GGUF metadata. */
class ClipTinyVocabularyTest {
    private val vocab = ClipVocabulary.tinyGenerated(400)
    private val tokenizer = ClipTokenizer(vocab)

    @Test
    fun `CLIP's layout with the requested merges`() {
        assertEquals(400, vocab.merges.size)
        assertEquals(512 + 400 + 2, vocab.size)
        assertEquals(vocab.size - 2, vocab.bosId)
        assertEquals(vocab.size - 1, vocab.eosId)
        assertEquals(ClipVocabulary.derivedTokens(vocab.merges), vocab.tokens)
        assertEquals(vocab.size, vocab.tokens.toSet().size)
        assertEquals(514, ClipVocabulary.tinyGenerated(0).size)
    }

    @Test
    fun `generation is deterministic`() {
        val again = ClipVocabulary.tinyGenerated(400)
        assertEquals(vocab.tokens, again.tokens)
        assertEquals(vocab.merges, again.merges)
        assertEquals(vocab.merges.take(100), ClipVocabulary.tinyGenerated(100).merges)
    }

    @Test
    fun `it learned the corpus words`() {
        assertEquals(
            listOf("the</w>", "cat</w>", "in</w>", "the</w>", "light</w>"),
            tokenizer.encode("the cat in the light").map(vocab::token),
        )
        assertTrue(tokenizer.encode("a painting of a dog in the sun").size < "a painting of a dog in the sun".length / 3)
    }

    @Test
    fun `any text tokenizes to known ids and decodes back`() {
        val random = Random(7)
        repeat(200) {
            val text = buildString {
                repeat(random.nextInt(0, 40)) {
                    val cp = when (random.nextInt(4)) {
                        0 -> random.nextInt(0x20, 0x7F)
                        1 -> random.nextInt(0xA0, 0x800)
                        2 -> random.nextInt(0x3000, 0xD7FF)
                        else -> random.nextInt(0x1F300, 0x1FAFF)
                    }
                    appendCodePoint(cp)
                }
            }
            val ids = tokenizer.encode(text)
            assertTrue(ids.all { it in 0 until vocab.size }, text)
            assertEquals(ClipText.words(text).joinToString(""), tokenizer.decode(ids).replace(" ", ""), text)
        }
    }

    @Test
    fun `it round-trips through GGUF-style lists`() {
        val copy = ClipVocabulary.fromLists(vocab.tokens, vocab.merges)
        val other = ClipTokenizer(copy)
        for (text in listOf("a castle on a hill above the sea", "zebra 42 ünïcode 🐉", "")) {
            assertEquals(tokenizer.encode(text), other.encode(text), text)
            assertEquals(tokenizer.tokenizeWeighted(text), other.tokenizeWeighted(text), text)
        }
    }
}
