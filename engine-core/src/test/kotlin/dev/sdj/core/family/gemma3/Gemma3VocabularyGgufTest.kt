package dev.sdj.core.family.gemma3

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufWriter
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * GGUF metadata as llama.cpp writes Gemma-3's (model "llama": tokens, scores, token types, no merges), written at
 * test time from the real tokenizer.json, gives the ids tokenizer.json gives.
 *
 * tokenizer.json carries no scores, so they are set the way SentencePiece's BPE trainer assigns them: 0 for the
 * user-defined and control pieces, and minus the rank for ordinary pieces (the first merged piece, id 494, scoring
 * 0). With these scores the rules rebuilt from them are exactly tokenizer.json's 514,906 merges in its order,
 * which the first test checks rule by rule.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Gemma3VocabularyGgufTest {
    @TempDir
    lateinit var dir: Path

    private val reference = Gemma3TestVocabulary.vocabulary
    private val json = ObjectMapper().readTree(Gemma3TestVocabulary.file.toFile())
    private val specials = json["added_tokens"].filter { it["special"].asBoolean() }.map { it["id"].asInt() }.toSet()
    private val addedIds = reference.addedIds.toSet()
    private val firstOrdinary = reference.tokens.indices.first { it !in addedIds && !isByte(it) }

    private fun isByte(id: Int) = reference.tokens[id].matches(Regex("<0x[0-9A-F]{2}>"))

    /** SentencePiece's types: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte. */
    private fun type(id: Int): Int = when {
        id == reference.unkId -> 2
        id in specials -> 3
        id in addedIds -> 4
        isByte(id) -> 6
        else -> 1
    }

    /** The first ordinary piece scores -0.0 here, which the rebuilt order must treat as 0 like the converter does. */
    private fun score(id: Int): Float = if (type(id) == 1) -(id - firstOrdinary).toFloat() else 0f

    /** The refusal tests write only the first [size] tokens: what they check does not need all 262,145. */
    private fun gguf(name: String, size: Int = reference.size, configure: GgufWriter.() -> Unit = {}): GgufFile {
        val writer = GgufWriter()
            .put("general.architecture", "gemma3")
            .put("tokenizer.ggml.model", "llama")
            .putStrings("tokenizer.ggml.tokens", reference.tokens.take(size))
            .put("tokenizer.ggml.scores", GgufValue.float32Array(FloatArray(size) { score(it) }))
            .put("tokenizer.ggml.token_type", GgufValue.int32Array(IntArray(size) { type(it) }))
            .putUInt32("tokenizer.ggml.bos_token_id", 2)
            .putUInt32("tokenizer.ggml.eos_token_id", 1)
            .putUInt32("tokenizer.ggml.unknown_token_id", 3)
            .putUInt32("tokenizer.ggml.padding_token_id", 0)
            .put("tokenizer.ggml.add_bos_token", GgufValue.bool(true))
            .put("tokenizer.ggml.add_eos_token", GgufValue.bool(false))
        writer.configure()
        val file = dir.resolve(name)
        writer.write(file)
        return GgufFile.read(file)
    }

    private val fromGguf: Gemma3Vocabulary by lazy { Gemma3Vocabulary.fromGguf(gguf("gemma3.gguf")) }

    @Test
    fun `merges rebuilt from the scores are tokenizer json's, rule by rule and in order`() {
        val merges = fromGguf.merges
        assertEquals(reference.merges.size, merges.size)
        json["model"]["merges"].forEachIndexed { rank, pair ->
            val left = reference.id(pair[0].textValue())!!
            val right = reference.id(pair[1].textValue())!!
            val slot = merges.find(left, right)
            assertTrue(slot >= 0, "rule $rank ($pair) missing")
            assertEquals(rank, merges.rank(slot), "rule $pair")
        }
    }

    @Test
    fun `GGUF metadata gives tokenizer json's ids on every known answer, with and without bos`() {
        val tokenizer = Gemma3Tokenizer(fromGguf)
        assertEquals(reference.addedIds.sorted(), fromGguf.addedIds.sorted())
        assertEquals(listOf(2, 1, 3, 0), listOf(fromGguf.bosId, fromGguf.eosId, fromGguf.unkId, fromGguf.padId))
        for ((text, ids) in Gemma3KnownAnswers.cases + Gemma3KnownAnswers.longPrompt) {
            assertEquals(ids, tokenizer.encode(text), text)
            assertEquals(ids.drop(1), tokenizer.encode(text, addSpecialTokens = false), text)
        }
    }

    /** A file that lists merges ("left right", as llama.cpp writes BPE vocabularies) uses them instead of scores. */
    @Test
    fun `listed merges are used as they are`() {
        val listed = json["model"]["merges"].map { it[0].textValue() + " " + it[1].textValue() }
        val file = gguf("merges.gguf") {
            putStrings("tokenizer.ggml.merges", listed)
            put("tokenizer.ggml.scores", GgufValue.float32Array(FloatArray(reference.size)))
        }
        val tokenizer = Gemma3Tokenizer(Gemma3Vocabulary.fromGguf(file))
        for ((text, ids) in Gemma3KnownAnswers.cases) assertEquals(ids, tokenizer.encode(text), text)
    }

    @Test
    fun `a GGUF whose tokenizer is not SentencePiece's is refused naming the file`() {
        val file = gguf("gpt2.gguf", 1000) { put("tokenizer.ggml.model", "gpt2") }
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromGguf(file) }
        assertEquals(file.path, error.file())
        assertTrue("'gpt2'" in error.reason(), error.reason())
    }

    @Test
    fun `scores that do not match the tokens are refused`() {
        val file = gguf("short.gguf", 1000) { put("tokenizer.ggml.scores", GgufValue.float32Array(FloatArray(10))) }
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromGguf(file) }
        assertTrue("scores" in error.reason(), error.reason())
    }

    @Test
    fun `a special id outside the vocabulary is refused`() {
        val file = gguf("bos.gguf", 1000) { putUInt32("tokenizer.ggml.bos_token_id", 1000) }
        val error = assertThrows(ModelFileException::class.java) { Gemma3Vocabulary.fromGguf(file) }
        assertTrue("BOS id 1000 is outside 0..999" in error.reason(), error.reason())
    }
}
