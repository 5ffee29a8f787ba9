package dev.sdj.core.family.t5

import dev.sdj.core.family.t5.T5Vocabulary.Companion.fail
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufValueType

/**
 * A T5 vocabulary from GGUF metadata under the keys llama.cpp's converter writes for SentencePiece models. The
 * precompiled map is optional there; without it only the whitespace handling of normalization applies.
 */
internal object T5GgufVocabulary {
    fun read(file: GgufFile): T5Vocabulary {
        val values = file.values
        val pieces = values["tokenizer.ggml.tokens"]?.asStringList()
            ?: fail(file.path, "metadata lacks tokenizer.ggml.tokens, so it carries no T5 tokenizer")
        val scores = numbers(file, "tokenizer.ggml.scores")?.map { it.asDouble()!! }
            ?: fail(file.path, "metadata lacks tokenizer.ggml.scores, which a unigram tokenizer needs")
        val types = numbers(file, "tokenizer.ggml.token_type")?.map { it.asLong()!!.toInt() }
        val charsmap = numbers(file, "tokenizer.ggml.precompiled_charsmap")?.let { items ->
            val blob = ByteArray(items.size) { items[it].asLong()!!.toByte() }
            PrecompiledCharsmap.parse(blob) ?: fail(file.path, "tokenizer.ggml.precompiled_charsmap is malformed")
        }
        fun id(key: String): Int? = values[key]?.asLong()?.toInt()
        return T5Vocabulary.of(pieces, scores, types, emptySet(), charsmap, id("tokenizer.ggml.unknown_token_id"),
            id("tokenizer.ggml.eos_token_id"), id("tokenizer.ggml.padding_token_id"), file.path)
    }

    /** The items of a numeric array, or null when the key is absent; a non-numeric array is an error naming it. */
    private fun numbers(file: GgufFile, key: String): List<GgufValue>? {
        val value = file.values[key] ?: return null
        val array = value as? GgufValue.ArrayValue
        if (array == null || array.elementType in NOT_NUMBERS) fail(file.path, "$key is not an array of numbers")
        return array.items
    }

    private val NOT_NUMBERS = setOf(GgufValueType.STRING, GgufValueType.ARRAY, GgufValueType.BOOL)
}
