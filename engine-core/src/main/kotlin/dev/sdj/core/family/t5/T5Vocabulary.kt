package dev.sdj.core.family.t5

import dev.sdj.api.EngineException
import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.GgufFile
import java.nio.file.Path

/**
 * A SentencePiece unigram vocabulary as T5 uses it: pieces with log-probability scores, the pad, end-of-sequence and
 * unknown ids (read from the file, never assumed), and the precompiled normalization map when the source has one.
 *
 * Only ordinary pieces take part in segmentation: control and unknown symbols (`<pad>`, `</s>`, `<unk>`, the
 * `<extra_id_N>` sentinels) are never produced from prompt text, as in SentencePiece itself.
 */
class T5Vocabulary private constructor(
    /** Piece strings by id; `▁` (U+2581) marks a word boundary. */
    val pieces: List<String>,
    private val scores: DoubleArray,
    private val matchable: BooleanArray,
    val padId: Int,
    val eosId: Int,
    val unkId: Int,
    /** Null when the source carries none (a GGUF without `tokenizer.ggml.precompiled_charsmap`). */
    val charsmap: PrecompiledCharsmap?,
) {
    val size: Int get() = pieces.size

    private val ids: Map<String, Int> = HashMap<String, Int>(pieces.size * 2).apply {
        pieces.forEachIndexed { id, piece -> if (matchable[id]) putIfAbsent(piece, id) }
    }

    /** The longest segmentable piece in code points: the Viterbi never looks further ahead than this. */
    internal val maxPieceLength: Int = ids.keys.maxOf { it.codePointCount(0, it.length) }

    /** SentencePiece's score for an unknown character: ten below the lowest piece score (its kUnkPenalty). */
    internal val unkScore: Double = pieces.indices.filter { matchable[it] }.minOf { scores[it] } - UNK_PENALTY

    fun piece(id: Int): String = pieces[id]

    fun score(id: Int): Double = scores[id]

    /** Whether segmentation may produce [id]: an ordinary piece, not a control or unknown symbol. */
    fun isOrdinary(id: Int): Boolean = matchable[id]

    /** The id of an ordinary piece, or null for text that no single piece spells. */
    fun id(piece: String): Int? = ids[piece]

    companion object {
        const val PAD = "<pad>"
        const val EOS = "</s>"
        const val UNK = "<unk>"
        internal const val UNK_PENALTY = 10.0

        /** SentencePiece's piece types, also used by GGUF's tokenizer.ggml.token_type. */
        const val TYPE_NORMAL = 1
        const val TYPE_UNKNOWN = 2
        const val TYPE_USER_DEFINED = 4

        /** A Hugging Face tokenizer.json with a Unigram model, as diffusers ships in a Flux model's tokenizer_2/. */
        fun fromTokenizerJson(file: Path): T5Vocabulary = T5TokenizerJson.read(file)

        /** SentencePiece's own spiece.model (a serialized ModelProto). */
        fun fromSentencePieceModel(file: Path): T5Vocabulary = SentencePieceModel.read(file)

        /**
         * GGUF metadata as llama.cpp writes it for T5: tokenizer.ggml.tokens, .scores, .token_type, optionally
         * .precompiled_charsmap and the special token ids; behind [keyPrefix] in a file that holds two tokenizers.
         */
        fun fromGguf(file: GgufFile, keyPrefix: String = ""): T5Vocabulary = T5GgufVocabulary.read(file, keyPrefix)

        /**
         * Checks and assembles. [types] are SentencePiece piece types (null: every piece is ordinary except those in
         * [specialIds]); [unkId], [eosId] and [padId] default to the ids of `<unk>`, `</s>` and `<pad>`.
         */
        internal fun of(
            pieces: List<String>,
            scores: List<Double>,
            types: List<Int>?,
            specialIds: Set<Int>,
            charsmap: PrecompiledCharsmap?,
            unkId: Int?,
            eosId: Int?,
            padId: Int?,
            file: Path?,
        ): T5Vocabulary {
            if (pieces.isEmpty()) fail(file, "holds no pieces")
            if (scores.size != pieces.size) fail(file, "has ${pieces.size} pieces but ${scores.size} scores")
            if (types != null && types.size != pieces.size) fail(file, "has ${pieces.size} pieces but ${types.size} piece types")
            fun special(given: Int?, name: String): Int {
                val id = given ?: pieces.indexOf(name).takeIf { it >= 0 } ?: fail(file, "has no $name piece")
                if (id !in pieces.indices) fail(file, "the $name id $id is outside 0..${pieces.size - 1}")
                return id
            }
            val unk = special(unkId, UNK)
            val eos = special(eosId, EOS)
            val pad = special(padId, PAD)
            val matchable = BooleanArray(pieces.size) { id ->
                val ordinary = types?.let { it[id] == TYPE_NORMAL || it[id] == TYPE_USER_DEFINED } ?: (id !in specialIds)
                ordinary && pieces[id].isNotEmpty() && id != unk && id != eos && id != pad
            }
            if (matchable.none { it }) fail(file, "holds no ordinary pieces, only special ones")
            return T5Vocabulary(pieces.toList(), scores.toDoubleArray(), matchable, pad, eos, unk, charsmap)
        }

        internal fun fail(file: Path?, reason: String): Nothing = throw if (file != null) {
            ModelFileException(file, null, reason)
        } else {
            EngineException("T5 vocabulary: $reason")
        }
    }
}
