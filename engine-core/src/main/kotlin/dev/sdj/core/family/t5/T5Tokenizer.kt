package dev.sdj.core.family.t5

/**
 * T5's text to token ids, as diffusers' Flux pipeline gets them from T5TokenizerFast: normalize, mark words with
 * `▁`, segment each word by unigram Viterbi, append `</s>`, then truncate and pad to the model's length.
 *
 * Normalization follows the tokenizer.json that the SentencePiece converter writes for T5: the precompiled map, then
 * runs of spaces collapsed to one, spaces replaced by `▁`, and a `▁` put in front unless the text already starts
 * with one. Like the fast tokenizer (and unlike SentencePiece itself) a trailing space is kept as a final `▁`.
 * Not reproduced: the fast tokenizer's matching of special-token text such as `</s>` or `<extra_id_0>` typed into the
 * prompt (here it is spelled out with ordinary pieces), and SentencePiece's bonus for user-defined pieces (T5 has
 * none).
 */
class T5Tokenizer(val vocabulary: T5Vocabulary) {
    /** Ids of [text] without `</s>` or padding. */
    fun encode(text: String): List<Int> = words(text).flatMap { segment(it) }

    /**
     * [text] as the encoder takes it: at most [length] - 1 pieces, then `</s>`, then `<pad>` up to [length] (256 for
     * FLUX.1-schnell, 512 for FLUX.1-dev). Keeping `</s>` when truncating matches Hugging Face, whose truncation
     * leaves room for the template's `</s>`; sd.cpp instead splits a longer prompt into chunks of [length], each
     * ending in `</s>`. Diffusers' Flux pipeline does not pass the mask to T5; it is here for those that do.
     */
    fun tokenize(text: String, length: Int): T5Tokens {
        require(length >= 1) { "a T5 sequence needs room for at least </s>, not length $length" }
        val real = encode(text).take(length - 1) + vocabulary.eosId
        val ids = real + List(length - real.size) { vocabulary.padId }
        return T5Tokens(ids, List(length) { if (it < real.size) 1 else 0 })
    }

    /** The normalized text split before each `▁`, the Metaspace pre-tokenizer's words. */
    internal fun words(text: String): List<String> {
        val mapped = vocabulary.charsmap?.normalize(text) ?: text
        if (mapped.isEmpty()) return emptyList()
        val spaced = SPACE_RUN.replace(mapped, " ").replace(' ', BOUNDARY)
        val marked = if (spaced.startsWith(BOUNDARY)) spaced else BOUNDARY + spaced
        val words = ArrayList<String>()
        var start = 0
        for (i in 1 until marked.length) {
            if (marked[i] == BOUNDARY) {
                words.add(marked.substring(start, i))
                start = i
            }
        }
        words.add(marked.substring(start))
        return words
    }

    /**
     * The highest-scoring segmentation of one word. Positions are code points; from each one only pieces up to the
     * vocabulary's longest are looked up, so the cost is linear in the word's length. A character no piece of length
     * one covers may also be read as `<unk>` at SentencePiece's unknown score; consecutive unknowns fuse into one.
     */
    internal fun segment(word: String): List<Int> {
        val points = word.codePoints().toArray()
        val n = points.size
        val best = DoubleArray(n + 1) { Double.NEGATIVE_INFINITY }.also { it[0] = 0.0 }
        val from = IntArray(n + 1) { -1 }
        val idAt = IntArray(n + 1) { -1 }
        fun offer(start: Int, end: Int, id: Int, score: Double) {
            val candidate = best[start] + score
            if (from[end] == -1 || candidate > best[end]) {
                best[end] = candidate
                from[end] = start
                idAt[end] = id
            }
        }
        for (start in 0 until n) {
            var single = false
            for (length in 1..minOf(vocabulary.maxPieceLength, n - start)) {
                val id = vocabulary.id(String(points, start, length)) ?: continue
                offer(start, start + length, id, vocabulary.score(id))
                if (length == 1) single = true
            }
            if (!single) offer(start, start + 1, vocabulary.unkId, vocabulary.unkScore)
        }
        val ids = ArrayList<Int>()
        var end = n
        while (end > 0) {
            val id = idAt[end]
            if (!(id == vocabulary.unkId && ids.lastOrNull() == id)) ids.add(id)
            end = from[end]
        }
        return ids.asReversed()
    }

    private companion object {
        const val BOUNDARY = '\u2581'
        val SPACE_RUN = Regex(" {2,}")
    }
}

/** Token ids of one prompt at the model's length, and the attention mask: 1 for the pieces and `</s>`, 0 for padding. */
data class T5Tokens(val ids: List<Int>, val attentionMask: List<Int>)
