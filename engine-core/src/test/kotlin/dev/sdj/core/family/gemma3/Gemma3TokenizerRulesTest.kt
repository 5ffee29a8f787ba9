package dev.sdj.core.family.gemma3

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

/**
 * The rules one by one, on hand-made vocabularies small enough to work out by hand: merge order, byte fallback,
 * unknown characters, added-token matching and the BOS frame.
 */
class Gemma3TokenizerRulesTest {
    @TempDir
    lateinit var dir: Path

    /** Ids: <unk>=0, <bos>=1, then the given tokens from 2; bytes <0x00>..<0xFF> follow when [bytes] is set. */
    private fun tokenizer(
        tokens: List<String>,
        merges: List<Pair<String, String>>,
        added: List<String> = emptyList(),
        bytes: Boolean = false,
    ): Gemma3Tokenizer {
        val base = listOf("<unk>", "<bos>") + tokens + (if (bytes) (0..255).map { Gemma3Vocabulary.byteToken(it) } else emptyList())
        val all = base + added.filter { it !in base }
        val mapper = ObjectMapper()
        val root = mapper.createObjectNode()
        val model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>").put("byte_fallback", bytes).put("fuse_unk", true)
        val vocab = model.putObject("vocab")
        all.forEachIndexed { id, token -> vocab.put(token, id) }
        val mergeList = model.putArray("merges")
        merges.forEach { (l, r) -> mergeList.addArray().add(l).add(r) }
        val addedList = root.putArray("added_tokens")
        (listOf("<unk>", "<bos>") + added).forEach { addedList.addObject().put("id", all.indexOf(it)).put("content", it) }
        root.putObject("normalizer").put("type", "Replace").put("content", "▁").putObject("pattern").put("String", " ")
        root.set<ObjectNode>("post_processor", mapper.readTree(
            """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<bos>"}}, {"Sequence": {"id": "A"}}],
                "special_tokens": {"<bos>": {"id": "<bos>", "ids": [1], "tokens": ["<bos>"]}}}""",
        ))
        val file = Files.createTempFile(dir, "tokenizer", ".json")
        Files.writeString(file, root.toString())
        return Gemma3Tokenizer(Gemma3Vocabulary.fromTokenizerJson(file))
    }

    private fun Gemma3Tokenizer.pieces(text: String) = encode(text, addSpecialTokens = false).map { vocabulary.token(it) }

    @Test
    fun `the lowest-ranked pair merges first, wherever it is`() {
        val t = tokenizer(listOf("a", "b", "c", "ab", "bc"), listOf("b" to "c", "a" to "b"))
        assertEquals(listOf("a", "bc"), t.pieces("abc"))
        val u = tokenizer(listOf("a", "b", "c", "ab", "bc"), listOf("a" to "b", "b" to "c"))
        assertEquals(listOf("ab", "c"), u.pieces("abc"))
    }

    @Test
    fun `equal pairs merge leftmost first`() {
        val t = tokenizer(listOf("a", "aa"), listOf("a" to "a"))
        assertEquals(listOf("aa", "aa", "a"), t.pieces("aaaaa"))
    }

    @Test
    fun `merges build on merges, and a merge never crosses an added token`() {
        val t = tokenizer(listOf("a", "b", "ab", "abab"), listOf("a" to "b", "ab" to "ab"), added = listOf("<x>"))
        assertEquals(listOf("abab", "ab"), t.pieces("ababab"))
        assertEquals(listOf("ab", "<x>", "ab"), t.pieces("ab<x>ab"))
    }

    @Test
    fun `a character without a token becomes its UTF-8 bytes`() {
        val t = tokenizer(listOf("a"), emptyList(), bytes = true)
        assertEquals(listOf("a", "<0xC3>", "<0xA9>", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"), t.pieces("aé😀"))
    }

    @Test
    fun `without byte fallback a run of unknown characters is one unk`() {
        val t = tokenizer(listOf("a"), emptyList())
        assertEquals(listOf("<unk>", "a", "<unk>"), t.pieces("éé😀a€"))
    }

    @Test
    fun `added tokens match leftmost, then longest, in the raw text`() {
        val t = tokenizer(listOf("a", "b", "<"), emptyList(), added = listOf("<a>", "<a><a>", "a><b"))
        assertEquals(listOf("<a><a>", "<a>"), t.pieces("<a><a><a>"))
        assertEquals(listOf("<a>", "<", "b"), t.pieces("<a><b"), "the match starting first wins over a longer one after it")
    }

    @Test
    fun `spaces become the metaspace token, none is put in front, and bos frames the ids`() {
        val t = tokenizer(listOf("a", "▁", "▁a"), listOf("▁" to "a"))
        assertEquals(listOf("a", "▁a", "▁"), t.pieces("a a "))
        assertEquals(listOf(1), t.encode(""))
        assertEquals(listOf(1, t.vocabulary.id("a")!!), t.encode("a"))
    }
}
