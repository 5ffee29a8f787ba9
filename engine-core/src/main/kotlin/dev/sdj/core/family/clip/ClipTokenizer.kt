package dev.sdj.core.family.clip

import java.util.concurrent.ConcurrentHashMap

/**
 * CLIP's BPE tokenizer with OpenAI's rules (see [ClipText] for the text preparation and what differs from OpenAI's
 * ftfy step). Thread-safe.
 */
class ClipTokenizer(val vocab: ClipVocabulary) {
    /** Ids by byte-encoded word; bounded so that hostile input cannot grow it without limit. */
    private val cache = ConcurrentHashMap<String, IntArray>()

    /** The text's token ids, without BOS and EOS. */
    fun encode(text: String): List<Int> {
        val out = ArrayList<Int>()
        for (word in ClipText.words(text)) out.addAll(wordIds(word).asList())
        return out
    }

    /**
     * One model input: BOS, the tokens, EOS, then [padId] up to [maxLength]. Longer text is cut to `maxLength - 2`
     * tokens so EOS stays last, as OpenAI's `clip.tokenize(truncate=True)` and Hugging Face's truncation do. SD 1.x
     * pads with EOS (the default); SD 2.x's OpenCLIP pads with 0.
     */
    fun tokenizeForModel(text: String, maxLength: Int = 77, padId: Int = vocab.eosId): List<Int> {
        require(maxLength >= 2) { "maxLength must leave room for BOS and EOS: $maxLength" }
        val tokens = encode(text)
        val out = ArrayList<Int>(maxLength)
        out += vocab.bosId
        out.addAll(tokens.subList(0, minOf(tokens.size, maxLength - 2)))
        out += vocab.eosId
        while (out.size < maxLength) out += padId
        return out
    }

    /**
     * A prompt with A1111 attention syntax ([PromptWeights]) as one or more [maxLength] chunks, each BOS, up to
     * `maxLength - 2` tokens, EOS, then [padId]; a weight per id, 1.0 for BOS, EOS and padding.
     *
     * Chunking rule: tokens fill a chunk in order and the next chunk starts when one is full; a BREAK closes the
     * current chunk early, even an empty one, as A1111 does. A1111 also moves the words after the last comma into
     * the next chunk when that comma is at most 20 tokens back; that is not done here. Each weighted piece is
     * tokenized on its own, as A1111 and stable-diffusion.cpp do. An empty prompt gives one chunk.
     */
    fun tokenizeWeighted(text: String, maxLength: Int = 77, padId: Int = vocab.eosId): WeightedTokens {
        require(maxLength >= 3) { "maxLength must leave room for BOS, a token and EOS: $maxLength" }
        val chunks = WeightedChunks(maxLength, vocab.bosId, vocab.eosId, padId)
        for (piece in PromptWeights.parse(text)) {
            if (piece == PromptWeights.BREAK) {
                chunks.close()
            } else {
                for (id in encode(piece.first)) chunks.add(id, piece.second)
            }
        }
        return chunks.finish()
    }

    /** The text the ids spell, as OpenAI decodes: bytes read as UTF-8 (invalid ones as U+FFFD), "</w>" as a space. */
    fun decode(ids: List<Int>): String {
        val symbols = StringBuilder()
        for (id in ids) symbols.append(vocab.token(id))
        return String(ByteLevel.decode(symbols), Charsets.UTF_8).replace(ClipVocabulary.END_OF_WORD, " ")
    }

    private fun wordIds(word: String): IntArray {
        if (word == ClipVocabulary.START_OF_TEXT) return intArrayOf(vocab.bosId)
        if (word == ClipVocabulary.END_OF_TEXT) return intArrayOf(vocab.eosId)
        val encoded = ByteLevel.encode(word)
        cache[encoded]?.let { return it }
        val ids = bpe(encoded).map { vocab.id(it)!! }.toIntArray()
        if (cache.size < CACHE_LIMIT) cache[encoded] = ids
        return ids
    }

    /**
     * CLIP's BPE on one word: start from characters with the end-of-word mark on the last, then repeatedly merge
     * every occurrence (left to right, not overlapping) of the adjacent pair with the lowest rank, until no adjacent
     * pair has a rank.
     */
    private fun bpe(word: String): List<String> {
        var symbols = ArrayList<String>(word.length)
        for (i in 0 until word.length - 1) symbols += word[i].toString()
        symbols += word.last() + ClipVocabulary.END_OF_WORD
        while (symbols.size > 1) {
            var best = -1
            var bestRank = Int.MAX_VALUE
            for (i in 0 until symbols.size - 1) {
                val rank = vocab.rank(symbols[i], symbols[i + 1]) ?: continue
                if (rank < bestRank) {
                    bestRank = rank
                    best = i
                }
            }
            if (best < 0) break
            val left = symbols[best]
            val right = symbols[best + 1]
            val merged = ArrayList<String>(symbols.size)
            var i = 0
            while (i < symbols.size) {
                if (i < symbols.size - 1 && symbols[i] == left && symbols[i + 1] == right) {
                    merged += left + right
                    i += 2
                } else {
                    merged += symbols[i++]
                }
            }
            symbols = merged
        }
        return symbols
    }

    private companion object {
        const val CACHE_LIMIT = 100_000
    }
}
