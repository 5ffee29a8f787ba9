package dev.sdj.core.bench

import com.fasterxml.jackson.databind.ObjectMapper
import java.nio.file.Files
import java.nio.file.Path

/**
 * A generated SentencePiece unigram tokenizer in the Hugging Face tokenizer.json form Flux's T5 tokenizer takes, for
 * random-weight benchmarks: models with random weights need only ids inside the embedding table, so a few hundred
 * generated pieces (T5's three specials first, then single characters, then letter pairs) stand in for the real
 * vocabulary, which the project does not ship. Without a normalizer the text is segmented as typed.
 */
object SyntheticT5Tokenizer {
    private const val WORD_START = "\u2581"
    private val SPECIALS = listOf("<pad>", "</s>", "<unk>")

    /** The pieces in id order: specials, `▁`, printable ASCII, `▁` + each lowercase letter, lowercase letter pairs. */
    fun pieces(): List<String> {
        val letters = ('a'..'z').map { it.toString() }
        return SPECIALS + WORD_START + (33..126).map { it.toChar().toString() } + letters.map { WORD_START + it } +
            letters.flatMap { a -> letters.map { b -> a + b } }
    }

    /** Writes the tokenizer to [file] unless it exists; returns [file]. */
    fun write(file: Path): Path {
        if (Files.isRegularFile(file)) return file
        val json = ObjectMapper()
        val root = json.createObjectNode()
        root.put("version", "1.0")
        val added = root.putArray("added_tokens")
        SPECIALS.forEachIndexed { id, piece -> added.addObject().put("id", id).put("content", piece).put("special", true) }
        root.putNull("normalizer")
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", WORD_START).put("add_prefix_space", true)
        val model = root.putObject("model").put("type", "Unigram").put("unk_id", SPECIALS.indexOf("<unk>"))
        val vocab = model.putArray("vocab")
        // Longer pieces score higher per character than the characters they span, so the Viterbi prefers them.
        pieces().forEachIndexed { id, piece ->
            vocab.addArray().add(piece).add(if (id < SPECIALS.size) 0.0 else -10.0 + 3.0 * piece.length - id * 1e-4)
        }
        Files.createDirectories(file.toAbsolutePath().parent)
        val tmp = file.resolveSibling(file.fileName.toString() + ".part")
        json.writeValue(tmp.toFile(), root)
        Files.move(tmp, file)
        return file
    }
}
