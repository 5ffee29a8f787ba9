package dev.sdj.core.family.clip

import dev.sdj.api.EngineException
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.TokenizerSource
import java.nio.file.Path

/**
 * A CLIP BPE vocabulary: token strings by id, and merges by rank (a lower rank merges first).
 *
 * Every vocabulary is checked on construction to hold the 256 byte characters, their end-of-word forms, the two
 * special tokens and the result of every merge, so tokenizing can never meet a symbol without an id.
 */
class ClipVocabulary private constructor(
    /** Token strings by id. */
    val tokens: List<String>,
    /** Merges in rank order, each as "left right", the spelling of merges.txt and GGUF's tokenizer.ggml.merges. */
    val merges: List<String>,
    private val ids: Map<String, Int>,
) {
    private val ranks: Map<String, Int> = HashMap<String, Int>(merges.size * 2).apply {
        merges.forEachIndexed { rank, merge -> put(merge, rank) }
    }

    val size: Int get() = tokens.size
    val bosId: Int = ids.getValue(START_OF_TEXT)
    val eosId: Int = ids.getValue(END_OF_TEXT)

    fun id(token: String): Int? = ids[token]

    fun token(id: Int): String = tokens[id]

    internal fun rank(left: String, right: String): Int? = ranks["$left $right"]

    companion object {
        const val START_OF_TEXT = "<|startoftext|>"
        const val END_OF_TEXT = "<|endoftext|>"

        /** Marks a symbol that ends a word; part of the token string, as in "cat</w>". */
        const val END_OF_WORD = "</w>"

        /** OpenAI's file holds 262,144 merges; CLIP uses the first 49152 - 256 - 2, giving 49,408 tokens. */
        const val OPENAI_MERGE_COUNT = 49152 - 256 - 2

        /** OpenAI's bpe_simple_vocab_16e6.txt.gz: merges only; the vocabulary is derived from them. */
        fun fromOpenAiFile(file: Path): ClipVocabulary = ClipVocabularyFiles.openAi(file)

        /** Hugging Face's vocab.json (token to id) and merges.txt (one "left right" merge a line). */
        fun fromVocabAndMerges(vocabJson: Path, mergesTxt: Path): ClipVocabulary =
            ClipVocabularyFiles.vocabAndMerges(vocabJson, mergesTxt)

        /**
         * GGUF's tokenizer.ggml.tokens (a token's id is its index) and tokenizer.ggml.merges (rank order). Errors name
         * [file] when the lists came from one.
         */
        fun fromLists(tokens: List<String>, merges: List<String>, file: Path? = null): ClipVocabulary {
            val ids = HashMap<String, Int>(tokens.size * 2)
            tokens.forEachIndexed { id, token ->
                ids.put(token, id)?.let { fail(file, "token '$token' appears twice, as ids $it and $id") }
            }
            return build(tokens, ids, merges, file) { rank -> "merge $rank" }
        }

        /**
         * The vocabulary a discovered source describes. GGUF metadata lists are passed in by the caller, who holds
         * the parsed file: `file.values["tokenizer.ggml.tokens"]?.asStringList()` and the same for merges.
         */
        fun load(
            source: TokenizerSource,
            ggufTokens: List<String>? = null,
            ggufMerges: List<String>? = null,
        ): ClipVocabulary = when (source) {
            is TokenizerSource.VocabAndMerges -> fromVocabAndMerges(source.vocab, source.merges)
            is TokenizerSource.OpenAiBpe -> fromOpenAiFile(source.file)
            is TokenizerSource.GgufMetadata -> fromLists(
                ggufTokens ?: fail(source.file, "metadata lacks tokenizer.ggml.tokens"),
                ggufMerges ?: fail(source.file, "metadata lacks tokenizer.ggml.merges"),
                source.file,
            )
            is TokenizerSource.T5 -> throw InvalidRequestException("${source.description} is a T5 vocabulary, not a CLIP one")
            is TokenizerSource.Gemma -> throw InvalidRequestException("${source.description} is a Gemma-3 vocabulary, not a CLIP one: " +
                "give a folder holding vocab.json and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz")
        }

        /**
         * A small self-contained CLIP-style vocabulary: the byte alphabet, up to [merges] merges learned from a fixed
         * English text, and the special tokens. Deterministic; it needs no file, so a generated model can carry it.
         */
        fun tinyGenerated(merges: Int): ClipVocabulary = TinyClipVocabulary.generate(merges)

        /** CLIP's derived layout: byte characters, their end-of-word forms, one token per merge, the specials. */
        internal fun derivedTokens(merges: List<String>): List<String> =
            ByteLevel.alphabet + ByteLevel.alphabet.map { it + END_OF_WORD } +
                merges.map { it.replace(" ", "") } + listOf(START_OF_TEXT, END_OF_TEXT)

        internal fun fail(file: Path?, reason: String): Nothing = throw if (file != null) {
            ModelFileException(file, null, reason)
        } else {
            EngineException("CLIP token lists: $reason")
        }

        /** Checks and assembles; [where] names a merge's place in its source for messages. */
        internal fun build(
            tokens: List<String>,
            ids: Map<String, Int>,
            merges: List<String>,
            file: Path?,
            where: (rank: Int) -> String,
        ): ClipVocabulary {
            for (special in listOf(START_OF_TEXT, END_OF_TEXT)) {
                if (special !in ids) fail(file, "the vocabulary lacks the special token $special")
            }
            for (symbol in ByteLevel.alphabet) {
                for (form in listOf(symbol, symbol + END_OF_WORD)) {
                    if (form !in ids) fail(file, "the vocabulary lacks the byte symbol '$form'")
                }
            }
            val seen = HashSet<String>(merges.size * 2)
            merges.forEachIndexed { rank, merge ->
                val parts = merge.split(' ')
                if (parts.size != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    fail(file, "${where(rank)}: expected two symbols separated by one space, found '$merge'")
                }
                if (!seen.add(merge)) fail(file, "${where(rank)}: '$merge' is listed twice")
                val result = parts[0] + parts[1]
                if (result !in ids) {
                    fail(file, "${where(rank)}: '$merge' makes '$result', which is not in the vocabulary")
                }
            }
            return ClipVocabulary(tokens.toList(), merges.toList(), ids)
        }
    }
}
