package dev.sdj.core.family.gemma3

import dev.sdj.core.model.gguf.GgufValue
import dev.sdj.core.model.gguf.GgufWriter

/**
 * A small Gemma-3-style vocabulary for generated models, written into a GGUF the way llama.cpp writes Gemma-3's
 * (`tokenizer.ggml.model` "llama": tokens, scores and SentencePiece token types, no merges), so that
 * [Gemma3Vocabulary.fromGguf] rebuilds merges from it as it does for the real file. Deterministic, needs no file.
 *
 * Ids as in Gemma-3: `<pad>` 0, `<eos>` 1, `<bos>` 2, `<unk>` 3; then the 256 `<0xNN>` byte tokens, `▁`, the letters,
 * and word pieces each of which splits into two shorter pieces (so merges reach it); the rest, up to the requested
 * size (the embedding's rows), are `<unusedN>` tokens as Gemma-3 has thousands of. Ordinary pieces score minus their
 * rank, everything else 0, as SentencePiece's trainer scores them.
 */
class TinyGemma3Vocabulary private constructor(val tokens: List<String>, val scores: FloatArray, val types: IntArray) {
    val size: Int get() = tokens.size

    /** Puts the tokenizer keys into [gguf]. */
    fun writeTo(gguf: GgufWriter): GgufWriter = gguf
        .put("tokenizer.ggml.model", "llama")
        .put("tokenizer.ggml.pre", "default")
        .putStrings("tokenizer.ggml.tokens", tokens)
        .put("tokenizer.ggml.scores", GgufValue.float32Array(scores))
        .put("tokenizer.ggml.token_type", GgufValue.int32Array(types))
        .putUInt32("tokenizer.ggml.bos_token_id", BOS.toLong())
        .putUInt32("tokenizer.ggml.eos_token_id", EOS.toLong())
        .putUInt32("tokenizer.ggml.unknown_token_id", UNK.toLong())
        .putUInt32("tokenizer.ggml.padding_token_id", PAD.toLong())
        .put("tokenizer.ggml.add_bos_token", true)
        .put("tokenizer.ggml.add_eos_token", false)

    companion object {
        const val PAD = 0
        const val EOS = 1
        const val BOS = 2
        const val UNK = 3

        /** SentencePiece's token types, as llama.cpp stores them. */
        private const val NORMAL = 1
        private const val UNKNOWN = 2
        private const val CONTROL = 3
        private const val UNUSED = 5
        private const val BYTE = 6

        /** Words whose pieces (every prefix of "▁word") the vocabulary holds, and pieces used inside words. */
        private val WORDS = listOf("the", "cat", "on", "a", "dog", "in", "sea", "sun", "video")
        private val INNER = listOf("in", "ing", "er")

        /** The tokens before any `<unusedN>` filler: the smallest vocabulary [generate] can make. */
        val baseSize: Int get() = base().size

        private fun base(): List<Pair<String, Int>> {
            val out = ArrayList<Pair<String, Int>>()
            out += listOf("<pad>" to CONTROL, "<eos>" to CONTROL, "<bos>" to CONTROL, "<unk>" to UNKNOWN)
            for (b in 0 until 256) out += Gemma3Vocabulary.byteToken(b) to BYTE
            val pieces = LinkedHashSet<String>()
            pieces += "▁"
            ('a'..'z').forEach { pieces += it.toString() }
            for (word in WORDS) for (end in 2..word.length + 1) pieces += ("▁$word").substring(0, end)
            pieces += INNER
            pieces.forEach { out += it to NORMAL }
            return out
        }

        /** The vocabulary of exactly [size] tokens (the token embedding's rows). */
        fun generate(size: Int): TinyGemma3Vocabulary {
            val base = base()
            require(size >= base.size) { "a generated Gemma-3 vocabulary has at least ${base.size} tokens, $size were asked for" }
            val tokens = base.map { it.first } + (0 until size - base.size).map { "<unused$it>" }
            val types = IntArray(size) { if (it < base.size) base[it].second else UNUSED }
            val firstNormal = types.indexOfFirst { it == NORMAL }
            val scores = FloatArray(size) { if (types[it] == NORMAL) -(it - firstNormal).toFloat() else 0f }
            return TinyGemma3Vocabulary(tokens, scores, types)
        }
    }
}
