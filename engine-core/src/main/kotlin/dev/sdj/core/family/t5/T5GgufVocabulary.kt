package dev.sdj.core.family.t5

import dev.sdj.core.family.t5.T5Vocabulary.Companion.fail
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufValueType
import dev.sdj.core.model.gguf.GgufWriter

/**
 * A T5 vocabulary in GGUF metadata under the keys llama.cpp's converter writes for SentencePiece models
 * (`tokenizer.ggml.tokens`, `.scores`, `.token_type`, `.precompiled_charsmap`, the special ids, `.model` = "t5"). The
 * precompiled map is optional there; without it only the whitespace handling of normalization applies.
 *
 * A file holding a second tokenizer beside a CLIP one in `tokenizer.ggml.*` (sdj's converted Flux files) keeps T5's
 * under the same keys behind a prefix, [FLUX_PREFIX]: `text_encoders.t5xxl.tokenizer.ggml.tokens` and so on, the
 * prefix of the T5 encoder's tensors in the same file.
 */
internal object T5GgufVocabulary {
    /** The key prefix of the T5 tokenizer in a converted Flux file. */
    const val FLUX_PREFIX = "text_encoders.t5xxl."

    /** Whether [file] holds a T5 tokenizer under [prefix]: its `tokenizer.ggml.model` says "t5". */
    fun isPresent(file: GgufFile, prefix: String): Boolean = file.values["${prefix}tokenizer.ggml.model"]?.asString() == "t5"

    fun tokenCount(file: GgufFile, prefix: String): Int? = file.values["${prefix}tokenizer.ggml.tokens"]?.asStringList()?.size

    fun read(file: GgufFile, prefix: String = ""): T5Vocabulary {
        val values = file.values
        val pieces = values["${prefix}tokenizer.ggml.tokens"]?.asStringList()
            ?: fail(file.path, "metadata lacks ${prefix}tokenizer.ggml.tokens, so it carries no T5 tokenizer")
        val scores = numbers(file, "${prefix}tokenizer.ggml.scores")?.map { it.asDouble()!! }
            ?: fail(file.path, "metadata lacks ${prefix}tokenizer.ggml.scores, which a unigram tokenizer needs")
        val types = numbers(file, "${prefix}tokenizer.ggml.token_type")?.map { it.asLong()!!.toInt() }
        val charsmap = numbers(file, "${prefix}tokenizer.ggml.precompiled_charsmap")?.let { items ->
            val blob = ByteArray(items.size) { items[it].asLong()!!.toByte() }
            PrecompiledCharsmap.parse(blob) ?: fail(file.path, "${prefix}tokenizer.ggml.precompiled_charsmap is malformed")
        }
        fun id(key: String): Int? = values["$prefix$key"]?.asLong()?.toInt()
        return T5Vocabulary.of(pieces, scores, types, emptySet(), charsmap, id("tokenizer.ggml.unknown_token_id"),
            id("tokenizer.ggml.eos_token_id"), id("tokenizer.ggml.padding_token_id"), file.path)
    }

    /**
     * Puts [vocabulary] into [writer] under [prefix], so that [read] gives it back: ordinary pieces typed normal, the
     * others control (unknown for the unknown id), scores as f32 as SentencePiece stores them.
     */
    fun write(writer: GgufWriter, vocabulary: T5Vocabulary, prefix: String) {
        writer.put("${prefix}tokenizer.ggml.model", "t5")
            .putStrings("${prefix}tokenizer.ggml.tokens", vocabulary.pieces)
            .put("${prefix}tokenizer.ggml.scores", GgufValue.float32Array(FloatArray(vocabulary.size) { vocabulary.score(it).toFloat() }))
            .put("${prefix}tokenizer.ggml.token_type", GgufValue.int32Array(IntArray(vocabulary.size) { id ->
                when {
                    vocabulary.isOrdinary(id) -> T5Vocabulary.TYPE_NORMAL
                    id == vocabulary.unkId -> T5Vocabulary.TYPE_UNKNOWN
                    else -> TYPE_CONTROL
                }
            }))
            .putUInt32("${prefix}tokenizer.ggml.unknown_token_id", vocabulary.unkId.toLong())
            .putUInt32("${prefix}tokenizer.ggml.eos_token_id", vocabulary.eosId.toLong())
            .putUInt32("${prefix}tokenizer.ggml.padding_token_id", vocabulary.padId.toLong())
        vocabulary.charsmap?.let { map ->
            writer.put("${prefix}tokenizer.ggml.precompiled_charsmap",
                GgufValue.array(GgufValueType.UINT8, map.blob.map { GgufValue.uint8(it.toInt() and 0xff) }))
        }
    }

    /** The items of a numeric array, or null when the key is absent; a non-numeric array is an error naming it. */
    private fun numbers(file: GgufFile, key: String): List<GgufValue>? {
        val value = file.values[key] ?: return null
        val array = value as? GgufValue.ArrayValue
        if (array == null || array.elementType in NOT_NUMBERS) fail(file.path, "$key is not an array of numbers")
        return array.items
    }

    /** SentencePiece's control symbol type (`<pad>`, `</s>`, sentinels). */
    private const val TYPE_CONTROL = 3

    private val NOT_NUMBERS = setOf(GgufValueType.STRING, GgufValueType.ARRAY, GgufValueType.BOOL)
}
