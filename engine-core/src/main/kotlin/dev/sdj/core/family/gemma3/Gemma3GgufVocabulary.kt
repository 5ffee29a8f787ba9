package dev.sdj.core.family.gemma3

import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.checkId
import dev.sdj.core.family.gemma3.Gemma3Vocabulary.Companion.fail
import dev.sdj.core.model.gguf.GgufFile
import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufValueType

/**
 * A Gemma-3 vocabulary from the `tokenizer.ggml.*` metadata llama.cpp writes: model "llama" (SentencePiece), the
 * tokens, their scores and types, the special ids and add_bos/add_eos. Such files carry no merges; when
 * `tokenizer.ggml.merges` is there it is used as is.
 *
 * Without merges the rules are rebuilt from the scores as Hugging Face's SentencePiece converter built
 * tokenizer.json's: every split of a token into two tokens is a rule, ordered by the joined token's score (highest
 * first), then the longer left part, then the longer right part, then ids. llama.cpp's own SPM tokenizer merges by
 * score and then by position instead, which differs from Hugging Face when equal-scored pairs compete (Gemma-3's
 * user-defined whitespace tokens all score 0), so it is not what this follows.
 *
 * Token types (SentencePiece's): control, user-defined, unknown and unused tokens are the added tokens matched
 * verbatim in the text, as tokenizer.json lists them in added_tokens; byte tokens are the fallback.
 */
internal object Gemma3GgufVocabulary {
    private const val TYPE_NORMAL = 1
    private const val TYPE_BYTE = 6

    fun read(file: GgufFile): Gemma3Vocabulary {
        val values = file.values
        val model = values["tokenizer.ggml.model"]?.asString()
        if (model != "llama") fail(file.path, "tokenizer.ggml.model is ${model?.let { "'$it'" } ?: "missing"}; a Gemma-3 GGUF has 'llama'")
        val tokens = values["tokenizer.ggml.tokens"]?.asStringList()
            ?: fail(file.path, "metadata lacks tokenizer.ggml.tokens (or it is not a list of strings)")
        if (tokens.isEmpty()) fail(file.path, "tokenizer.ggml.tokens is empty")
        val types = numbers(file, "tokenizer.ggml.token_type")?.map { it.asLong()!!.toInt() }
        if (types != null && types.size != tokens.size) fail(file.path, "has ${tokens.size} tokens but ${types.size} token types")
        val ids = HashMap<String, Int>(tokens.size * 2).apply { tokens.forEachIndexed { id, t -> put(t, id) } }
        val merges = values["tokenizer.ggml.merges"]?.let { listed(file, it, ids) } ?: run {
            val scores = numbers(file, "tokenizer.ggml.scores")?.map { it.asDouble()!! }
                ?: fail(file.path, "metadata lacks both tokenizer.ggml.merges and tokenizer.ggml.scores")
            if (scores.size != tokens.size) fail(file.path, "has ${tokens.size} tokens but ${scores.size} scores")
            Gemma3ScoreMerges.derive(tokens, scores, ids)
        }
        val added = types?.indices?.filter { types[it] != TYPE_NORMAL && types[it] != TYPE_BYTE }.orEmpty()
        fun id(key: String, name: String): Int? = checkId(values[key]?.asLong()?.toInt(), tokens.size, name, file.path)
        val bos = id("tokenizer.ggml.bos_token_id", "BOS")
        val eos = id("tokenizer.ggml.eos_token_id", "EOS")
        fun frame(key: String, default: Boolean, special: Int?, name: String): List<Int> {
            if (!(values[key]?.asBoolean() ?: default)) return emptyList()
            return listOf(special ?: fail(file.path, "$key is true but the file names no $name token"))
        }
        // llama.cpp adds BOS and not EOS for SentencePiece vocabularies unless the file says otherwise.
        return Gemma3Vocabulary(
            tokens, merges, added, byteFallback = true, fuseUnknown = true,
            unkId = id("tokenizer.ggml.unknown_token_id", "unknown"), bosId = bos, eosId = eos,
            padId = id("tokenizer.ggml.padding_token_id", "padding"),
            prefix = frame("tokenizer.ggml.add_bos_token", true, bos, "BOS"),
            suffix = frame("tokenizer.ggml.add_eos_token", false, eos, "EOS"),
            modelSize = tokens.size,
        )
    }

    /** llama.cpp's merges: "left right" strings. A token may itself hold a space, so the split is the one naming two tokens. */
    private fun listed(file: GgufFile, value: GgufValue, ids: Map<String, Int>): Gemma3Merges {
        val list = value.asStringList() ?: fail(file.path, "tokenizer.ggml.merges is not a list of strings")
        val builder = Gemma3Merges.Builder(list.size)
        list.forEachIndexed { index, merge ->
            val cut = (0 until merge.length).firstOrNull { i ->
                merge[i] == ' ' && merge.substring(0, i) in ids && merge.substring(i + 1) in ids &&
                    (merge.substring(0, i) + merge.substring(i + 1)) in ids
            } ?: fail(file.path, "tokenizer.ggml.merges[$index] '$merge' is not two tokens whose join is a token")
            val left = merge.substring(0, cut)
            val right = merge.substring(cut + 1)
            builder.add(ids.getValue(left), ids.getValue(right), ids.getValue(left + right))
        }
        return builder.build()
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
