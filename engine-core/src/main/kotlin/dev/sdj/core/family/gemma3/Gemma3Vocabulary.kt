package dev.sdj.core.family.gemma3

import dev.sdj.api.EngineException
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.GgufFile
import java.nio.file.Path

/**
 * Gemma-3's BPE vocabulary with byte fallback, as its Hugging Face tokenizer.json defines it: token strings by id
 * (`▁` U+2581 stands for a space), the ranked merge rules, the `<0xNN>` byte tokens, the added tokens that are cut
 * out of the raw text before anything else (`<start_of_turn>`, `<bos>`, runs of newlines and tabs, HTML tags, ...),
 * and the special tokens framing every sequence (`<bos>` in front).
 */
class Gemma3Vocabulary internal constructor(
    /** Token strings by id. */
    val tokens: List<String>,
    internal val merges: Gemma3Merges,
    /** Ids of the added tokens, matched verbatim in the text (longest first at the leftmost position). */
    val addedIds: List<Int>,
    /** Whether a character without a token becomes its UTF-8 bytes as `<0xNN>` tokens (else `<unk>`). */
    val byteFallback: Boolean,
    /** Consecutive unknown characters give one `<unk>`, when there is no byte fallback for them. */
    internal val fuseUnknown: Boolean,
    val unkId: Int?,
    val bosId: Int?,
    val eosId: Int?,
    /** `<pad>`, which the LTX-2 conditioner fills the prompt with up to its length (null when the source names none). */
    val padId: Int?,
    /** Ids put before and after the text when special tokens are added: `[<bos>]` and `[]` for Gemma-3. */
    val prefix: List<Int>,
    val suffix: List<Int>,
    /** Ids of the tokens the BPE model itself spells (tokenizer.json's model.vocab); added tokens may lie beyond. */
    modelSize: Int,
) {
    val size: Int get() = tokens.size

    private val ids: Map<String, Int> = HashMap<String, Int>(modelSize * 2).apply {
        for (id in 0 until modelSize) put(tokens[id], id)
    }

    /** `<0xNN>` ids by byte value, -1 where the vocabulary lacks one. */
    internal val byteIds: IntArray = IntArray(256) { b -> ids[byteToken(b)] ?: -1 }

    internal val added: Gemma3AddedTokens = Gemma3AddedTokens(addedIds.associateBy { tokens[it] })

    fun token(id: Int): String = tokens[id]

    /** The id the BPE model gives [token], or null when it is not one of the model's tokens. */
    fun id(token: String): Int? = ids[token]

    companion object {
        /** A Hugging Face tokenizer.json with a BPE model, as google/gemma-3-* ships it. */
        fun fromTokenizerJson(file: Path): Gemma3Vocabulary = Gemma3TokenizerJson.read(file)

        /**
         * GGUF metadata as llama.cpp writes it for Gemma-3 (`tokenizer.ggml.model` = "llama": tokens, scores and
         * token types, no merges); the merge ranks are derived from the scores the way Hugging Face's converter
         * derived tokenizer.json's merges from the same SentencePiece model.
         */
        fun fromGguf(file: GgufFile): Gemma3Vocabulary = Gemma3GgufVocabulary.read(file)

        /** Hugging Face's spelling of a byte token: `<0x` then two upper-case hex digits. */
        fun byteToken(b: Int): String = "<0x%02X>".format(b)

        internal fun fail(file: Path?, reason: String): Nothing = throw if (file != null) {
            ModelFileException(file, null, reason)
        } else {
            EngineException("Gemma-3 vocabulary: $reason")
        }

        /** Tokens by id from sparse (id, token) entries; a missing or doubly given id is an error naming the file. */
        internal fun denseTokens(entries: Map<Int, String>, file: Path?): List<String> {
            if (entries.isEmpty()) fail(file, "holds no tokens")
            val size = entries.keys.max() + 1
            if (entries.keys.min() < 0) fail(file, "has a negative token id ${entries.keys.min()}")
            return List(size) { id -> entries[id] ?: fail(file, "has no token with id $id, below the largest id ${size - 1}") }
        }

        /** A special token's id, checked to lie within the vocabulary. */
        internal fun checkId(id: Int?, size: Int, name: String, file: Path?): Int? {
            if (id != null && id !in 0 until size) fail(file, "the $name id $id is outside 0..${size - 1}")
            return id
        }
    }
}
