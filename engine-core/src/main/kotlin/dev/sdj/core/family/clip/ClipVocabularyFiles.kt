package dev.sdj.core.family.clip

import com.fasterxml.jackson.core.JacksonException
import com.fasterxml.jackson.databind.ObjectMapper
import dev.sdj.core.family.clip.ClipVocabulary.Companion.OPENAI_MERGE_COUNT
import dev.sdj.core.family.clip.ClipVocabulary.Companion.fail
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.zip.GZIPInputStream

/** Reading the two on-disk CLIP tokenizer formats; every error names the file and what is wrong with it. */
internal object ClipVocabularyFiles {
    /**
     * The most a tokenizer file may hold, inflated: the real ones hold 1 to 3.2 MB, and without a bound a gzip bomb or
     * a huge file ends in an OutOfMemoryError instead of an error naming the file.
     */
    const val MAX_BYTES: Long = 64L shl 20

    fun openAi(file: Path): ClipVocabulary {
        val bytes = read(file) {
            Files.newInputStream(file).use { GZIPInputStream(it).readNBytes(MAX_BYTES.toInt() + 1) }
        }
        if (bytes.size > MAX_BYTES) fail(file, "inflates to more than ${MAX_BYTES shr 20} MiB, far beyond any CLIP tokenizer")
        val text = String(bytes, Charsets.UTF_8)
        // Line 0 is a version header; CLIP takes the next OPENAI_MERGE_COUNT lines whatever the file holds beyond.
        val lines = text.split('\n')
        if (lines.size <= OPENAI_MERGE_COUNT) {
            fail(file, "holds ${maxOf(lines.size - 1, 0)} merge lines; CLIP needs $OPENAI_MERGE_COUNT")
        }
        val merges = lines.subList(1, OPENAI_MERGE_COUNT + 1)
        val tokens = ClipVocabulary.derivedTokens(merges)
        val ids = HashMap<String, Int>(tokens.size * 2)
        tokens.forEachIndexed { id, token -> ids[token] = id }
        return ClipVocabulary.build(tokens, ids, merges, file) { rank -> "line ${rank + 2}" }
    }

    fun vocabAndMerges(vocabJson: Path, mergesTxt: Path): ClipVocabulary {
        val ids = readVocabJson(vocabJson)
        val tokens = arrayOfNulls<String>(ids.size)
        for ((token, id) in ids) {
            if (id !in tokens.indices) fail(vocabJson, "id $id of '$token' is outside 0..${ids.size - 1}")
            tokens[id]?.let { fail(vocabJson, "id $id is given to both '$it' and '$token'") }
            tokens[id] = token
        }
        requireBounded(mergesTxt)
        val lines = read(mergesTxt) { Files.readAllLines(mergesTxt, Charsets.UTF_8) }
        // Hugging Face writes a "#version" header; blank lines (the trailing newline) carry nothing.
        val skip = if (lines.firstOrNull()?.startsWith("#version") == true) 1 else 0
        val numbered = lines.withIndex().drop(skip).filter { it.value.isNotEmpty() }
        val merges = numbered.map { it.value }
        return ClipVocabulary.build(tokens.map { it!! }, ids, merges, mergesTxt) { rank ->
            "line ${numbered[rank].index + 1}"
        }
    }

    private fun readVocabJson(file: Path): Map<String, Int> {
        requireBounded(file)
        val root = read(file) {
            try {
                ObjectMapper().readTree(file.toFile())
            } catch (e: JacksonException) {
                fail(file, "is not valid JSON: ${e.originalMessage}")
            }
        }
        if (root == null || !root.isObject) fail(file, "must be a JSON object of token to id")
        val ids = LinkedHashMap<String, Int>(root.size() * 2)
        for ((token, id) in root.properties()) {
            if (!id.isInt) fail(file, "the id of '$token' is not an integer: $id")
            ids[token] = id.intValue()
        }
        return ids
    }

    private fun requireBounded(file: Path) {
        val size = read(file) { Files.size(file) }
        if (size > MAX_BYTES) fail(file, "is $size bytes, more than the ${MAX_BYTES shr 20} MiB any CLIP tokenizer file needs")
    }

    private fun <T> read(file: Path, reader: () -> T): T = try {
        reader()
    } catch (e: IOException) {
        fail(file, "cannot be read (${e.javaClass.simpleName}: ${e.message})")
    }
}
