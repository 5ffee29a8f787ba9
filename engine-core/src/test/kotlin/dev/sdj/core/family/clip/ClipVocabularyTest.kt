package dev.sdj.core.family.clip

import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.api.EngineException
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.TokenizerSource
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.GZIPOutputStream

class ClipVocabularyTest {
    @TempDir
    lateinit var dir: Path

    private val real get() = ClipTestVocabulary.vocabulary

    private val samples = listOf("a photo of a cat", "it's 3.14, don't!", "naïve 日本語 🐱", "a &amp; b", "")

    /** Hugging Face's layout of the same vocabulary: vocab.json of token to id, merges.txt after a version line. */
    private fun writeHfFiles(vocab: ClipVocabulary, mergeLines: List<String> = vocab.merges): Pair<Path, Path> {
        val vocabJson = dir.resolve("vocab.json")
        val mergesTxt = dir.resolve("merges.txt")
        ObjectMapper().writeValue(vocabJson.toFile(), vocab.tokens.withIndex().associate { it.value to it.index })
        Files.writeString(mergesTxt, (listOf("#version: 0.2") + mergeLines).joinToString("\n", postfix = "\n"))
        return vocabJson to mergesTxt
    }

    private fun writeGz(name: String, lines: List<String>): Path {
        val file = dir.resolve(name)
        GZIPOutputStream(Files.newOutputStream(file)).use { it.write(lines.joinToString("\n").toByteArray()) }
        return file
    }

    private fun assertRejected(file: Path, reasonPart: String, load: () -> Unit) {
        val e = assertThrows<ModelFileException> { load() }
        assertEquals(file, e.file())
        assertTrue(reasonPart in e.reason(), "'${e.reason()}' should mention '$reasonPart'")
    }

    private fun assertSameTokenizing(expected: ClipVocabulary, actual: ClipVocabulary) {
        assertEquals(expected.tokens, actual.tokens)
        assertEquals(expected.merges, actual.merges)
        val a = ClipTokenizer(expected)
        val b = ClipTokenizer(actual)
        for (text in samples) assertEquals(a.encode(text), b.encode(text), text)
    }

    @Test
    fun `vocab json and merges txt give the gz file's ids`() {
        val (vocabJson, mergesTxt) = writeHfFiles(real)
        assertSameTokenizing(real, ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt))
    }

    @Test
    fun `every tokenizer source loads`() {
        val (vocabJson, mergesTxt) = writeHfFiles(real)
        assertSameTokenizing(real, ClipVocabulary.load(TokenizerSource.VocabAndMerges(vocabJson, mergesTxt)))
        assertSameTokenizing(real, ClipVocabulary.load(TokenizerSource.OpenAiBpe(ClipTestVocabulary.file)))
        val gguf = TokenizerSource.GgufMetadata(dir.resolve("clip.gguf"), real.size, real.merges.size)
        assertSameTokenizing(real, ClipVocabulary.load(gguf, real.tokens, real.merges))
    }

    @Test
    fun `missing files are named`() {
        val missing = dir.resolve("nope.txt.gz")
        assertRejected(missing, "cannot be read") { ClipVocabulary.fromOpenAiFile(missing) }
        val (vocabJson, _) = writeHfFiles(ClipVocabulary.tinyGenerated(10))
        assertRejected(dir.resolve("merges-missing.txt"), "NoSuchFile") {
            ClipVocabulary.fromVocabAndMerges(vocabJson, dir.resolve("merges-missing.txt"))
        }
    }

    @Test
    fun `GGUF metadata without the lists is rejected`() {
        val source = TokenizerSource.GgufMetadata(dir.resolve("model.gguf"), 0, 0)
        assertRejected(source.file, "tokenizer.ggml.tokens") { ClipVocabulary.load(source) }
        assertRejected(source.file, "tokenizer.ggml.merges") { ClipVocabulary.load(source, real.tokens) }
    }

    @Test
    fun `a gz file that is short, broken or not gzip is rejected`() {
        val short = writeGz("short.txt.gz", listOf("#version: 0.2", "i n", "t h"))
        assertRejected(short, "holds 2 merge lines; CLIP needs 48894") { ClipVocabulary.fromOpenAiFile(short) }

        val lines = listOf("#version: 0.2") + real.merges.toMutableList().also { it[5] = "abc" }
        val broken = writeGz("broken.txt.gz", lines)
        assertRejected(broken, "line 7: expected two symbols") { ClipVocabulary.fromOpenAiFile(broken) }

        val plain = dir.resolve("plain.txt.gz").also { Files.writeString(it, "#version: 0.2\ni n\n") }
        assertRejected(plain, "cannot be read") { ClipVocabulary.fromOpenAiFile(plain) }
    }

    @Test
    fun `a gz file that inflates beyond the tokenizer limit is rejected instead of exhausting memory`() {
        val bomb = dir.resolve("bomb.txt.gz")
        GZIPOutputStream(Files.newOutputStream(bomb)).use { out ->
            val zeros = ByteArray(1 shl 20)
            repeat((ClipVocabularyFiles.MAX_BYTES shr 20).toInt() + 1) { out.write(zeros) }
        }
        assertRejected(bomb, "inflates to more than 64 MiB") { ClipVocabulary.fromOpenAiFile(bomb) }
    }

    @Test
    fun `Hugging Face files beyond the tokenizer limit are rejected before they are read`() {
        val (vocabJson, mergesTxt) = writeHfFiles(ClipVocabulary.tinyGenerated(10))
        val huge = dir.resolve("huge.txt")
        java.io.RandomAccessFile(huge.toFile(), "rw").use { it.setLength(ClipVocabularyFiles.MAX_BYTES + 1) }
        assertRejected(huge, "more than the 64 MiB") { ClipVocabulary.fromVocabAndMerges(vocabJson, huge) }
        assertRejected(huge, "more than the 64 MiB") { ClipVocabulary.fromVocabAndMerges(huge, mergesTxt) }
    }

    @Test
    fun `malformed Hugging Face files are rejected with the line or token at fault`() {
        val tiny = ClipVocabulary.tinyGenerated(20)
        val (vocabJson, mergesTxt) = writeHfFiles(tiny, tiny.merges + "x y")
        assertRejected(mergesTxt, "line 22: 'x y' makes 'xy', which is not in the vocabulary") {
            ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt)
        }
        writeHfFiles(tiny, listOf("a  b"))
        assertRejected(mergesTxt, "line 2: expected two symbols") { ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt) }

        Files.writeString(vocabJson, "{\"a\": 0,")
        assertRejected(vocabJson, "not valid JSON") { ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt) }
        Files.writeString(vocabJson, "{\"a\": \"zero\"}")
        assertRejected(vocabJson, "not an integer") { ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt) }
        Files.writeString(vocabJson, "{\"a\": 0, \"b\": 0}")
        assertRejected(vocabJson, "id 0 is given to both") { ClipVocabulary.fromVocabAndMerges(vocabJson, mergesTxt) }
    }

    @Test
    fun `lists without special tokens, byte symbols or unique tokens are rejected`() {
        val tiny = ClipVocabulary.tinyGenerated(5)
        val file = dir.resolve("model.gguf")
        assertRejected(file, "special token <|endoftext|>") {
            ClipVocabulary.fromLists(tiny.tokens.dropLast(1), tiny.merges, file)
        }
        assertRejected(file, "byte symbol 'a</w>'") {
            ClipVocabulary.fromLists(tiny.tokens.map { if (it == "a</w>") "a</x>" else it }, tiny.merges, file)
        }
        assertRejected(file, "appears twice") { ClipVocabulary.fromLists(tiny.tokens + "a", tiny.merges, file) }
        assertRejected(file, "is listed twice") { ClipVocabulary.fromLists(tiny.tokens, tiny.merges + tiny.merges[0], file) }
        val e = assertThrows<EngineException> { ClipVocabulary.fromLists(tiny.tokens.dropLast(2), tiny.merges) }
        assertTrue("<|startoftext|>" in e.message!!, e.message)
    }
}
