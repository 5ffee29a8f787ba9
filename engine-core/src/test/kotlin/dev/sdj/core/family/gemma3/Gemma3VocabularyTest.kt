package dev.sdj.core.family.gemma3

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.ModelFileException
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

/** What tokenizer.json gives, and the refusals of files that would tokenize otherwise. */
class Gemma3VocabularyTest {
    @TempDir
    lateinit var dir: Path

    private val vocabulary = Gemma3TestVocabulary.vocabulary

    @Test
    fun `the real file's ids, special tokens and merges`() {
        assertEquals(262145, vocabulary.size, "262,144 model tokens and <image_soft_token> added after them")
        assertEquals(2, vocabulary.bosId)
        assertEquals(1, vocabulary.eosId)
        assertEquals(3, vocabulary.unkId)
        assertEquals(0, vocabulary.padId)
        assertEquals(listOf(2), vocabulary.prefix)
        assertEquals(emptyList<Int>(), vocabulary.suffix)
        assertTrue(vocabulary.byteFallback)
        assertEquals(238, vocabulary.id("<0x00>"))
        assertEquals(493, vocabulary.id("<0xFF>"))
        assertEquals("<start_of_turn>", vocabulary.token(105))
        assertEquals(6415, vocabulary.addedIds.size)
        assertEquals(514906, vocabulary.merges.size)
        assertNull(vocabulary.id("<image_soft_token>"), "an added token beyond the model's tokens is not a BPE symbol")
    }

    @Test
    fun `a tokenizer json that is not BPE is refused naming the file`() {
        val file = write("""{"model": {"type": "Unigram", "vocab": []}}""")
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertEquals(file, error.file())
        assertTrue("BPE" in error.reason(), error.reason())
    }

    @Test
    fun `a merge naming a token the vocabulary lacks is refused by index`() {
        val file = write(tiny(merges = """[["a", "b"], ["ab", "z"]]"""))
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertTrue("merges[1]" in error.reason() && "'z'" in error.reason(), error.reason())
    }

    @Test
    fun `another normalizer is refused, since it would change the ids`() {
        val file = write(tiny(normalizer = """{"type": "NFKC"}"""))
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertTrue("normalizer" in error.reason(), error.reason())
    }

    @Test
    fun `an added token that strips spaces is refused`() {
        val file = write(tiny(added = """[{"id": 0, "content": "<unk>", "lstrip": true}]"""))
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertTrue("lstrip" in error.reason(), error.reason())
    }

    @Test
    fun `truncated JSON is refused naming the file`() {
        val text = Files.readString(write(tiny()))
        val file = write(text.substring(0, text.length / 2))
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertEquals(file, error.file())
        assertTrue("not valid JSON" in error.reason(), error.reason())
    }

    @Test
    fun `a gap in the ids is refused`() {
        val file = write(tiny(added = """[{"id": 9, "content": "<x>"}]"""))
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromTokenizerJson(file) }
        assertTrue("no token with id" in error.reason(), error.reason())
    }

    /** The tiny file parses when nothing is wrong, so the refusals above are about what each one changed. */
    @Test
    fun `the tiny file itself is accepted`() {
        val tiny = Gemma3Tokenizer(Gemma3Vocabulary.fromTokenizerJson(write(tiny())))
        assertEquals(listOf(4, 2, 1), tiny.encode("ab a", addSpecialTokens = false))
    }

    private fun write(text: String): Path = Files.createTempFile(dir, "tokenizer", ".json").also { Files.writeString(it, text) }

    /** A minimal tokenizer.json of Gemma-3's shape; each refusal test changes one part of it. */
    private fun tiny(
        merges: String = """[["a", "b"]]""",
        normalizer: String = """{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}""",
        added: String = """[{"id": 0, "content": "<unk>", "special": true}]""",
    ): String = ObjectMapper().readTree(
        """
        {"added_tokens": $added, "normalizer": $normalizer, "pre_tokenizer": null, "post_processor": null,
         "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": false, "fuse_unk": true,
                   "vocab": {"<unk>": 0, "a": 1, "▁": 2, "b": 3, "ab": 4, "c": 5}, "merges": $merges}}
        """,
    ).toString()
}
