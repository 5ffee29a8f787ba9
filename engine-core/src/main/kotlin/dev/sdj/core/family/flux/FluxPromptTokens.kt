package dev.sdj.core.family.flux

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.family.clip.ClipTokenizer
import dev.sdj.core.family.clip.PromptWeights
import dev.sdj.core.family.clip.WeightedTokens
import dev.sdj.core.family.t5.T5Tokenizer

/**
 * A prompt as Flux's two encoders read it, following stable-diffusion.cpp's Flux conditioner: the prompt's emphasis
 * pieces are tokenized one by one for both encoders. CLIP-L reads one 77-token pass (BOS, up to 75 tokens, EOS,
 * padding with EOS) and only its pooled output is used. T5 reads chunks of [T5_CHUNK] tokens, each at most 255
 * prompt tokens then `</s>`, the last padded with `<pad>`; every piece is encoded with its own `</s>` unless it
 * already ends in one, as sd.cpp's tokenizer appends it per call. BREAK has no meaning for T5 and is dropped.
 */
class FluxPromptTokens(private val clip: ClipTokenizer, private val t5: T5Tokenizer) {

    /** CLIP-L's ids for the pooled vector: the first 77-token chunk. */
    fun clipIds(prompt: String): List<Int> = clip.tokenizeWeighted(checked(prompt), CLIP_CONTEXT).chunk(0).ids

    /** Where CLIP-L's pooled vector is read: the first end token of [ids] (the last position if none). */
    fun clipPooledAt(ids: List<Int>): Int = ids.indexOf(clip.vocab.eosId).let { if (it < 0) ids.size - 1 else it }

    /** T5's ids and emphasis weights in whole chunks of [T5_CHUNK]. */
    fun t5(prompt: String): WeightedTokens {
        val eos = t5.vocabulary.eosId
        val ids = ArrayList<Int>()
        val weights = ArrayList<Float>()
        for ((text, weight) in PromptWeights.parse(checked(prompt))) {
            if (text to weight == PromptWeights.BREAK) continue
            val piece = t5.encode(text)
            val ended = if (piece.isNotEmpty() && piece.last() != eos) piece + eos else piece
            ids += ended
            repeat(ended.size) { weights += weight }
        }
        // The sequence's final </s> is re-added after chunking, so each chunk's own </s> can take the 256th place.
        val content = if (ids.isNotEmpty()) ids.size - 1 else 0
        val chunks = maxOf(1, (content + T5_CHUNK - 2) / (T5_CHUNK - 1))
        if (chunks > MAX_T5_CHUNKS) {
            throw InvalidRequestException("a prompt needs $chunks T5 chunks of ${T5_CHUNK - 1} tokens; the limit is $MAX_T5_CHUNKS " +
                "(${MAX_T5_CHUNKS * (T5_CHUNK - 1)} tokens)")
        }
        val outIds = ArrayList<Int>(chunks * T5_CHUNK)
        val outWeights = ArrayList<Float>(chunks * T5_CHUNK)
        var next = 0
        while (next < content) {
            if (outIds.size % T5_CHUNK == T5_CHUNK - 1) {
                outIds += eos
                outWeights += 1f
            } else {
                outIds += ids[next]
                outWeights += weights[next++]
            }
        }
        outIds += eos
        outWeights += 1f
        while (outIds.size < chunks * T5_CHUNK) {
            outIds += t5.vocabulary.padId
            outWeights += 1f
        }
        return WeightedTokens(outIds, outWeights, T5_CHUNK)
    }

    private fun checked(prompt: String): String {
        if (prompt.length > MAX_CHARACTERS) throw InvalidRequestException("a prompt has ${prompt.length} characters; the limit is $MAX_CHARACTERS")
        return prompt
    }

    companion object {
        const val CLIP_CONTEXT = 77

        /** T5 tokens per encoder pass, stable-diffusion.cpp's Flux chunk length (for dev and schnell alike). */
        const val T5_CHUNK = 256

        /** Chunks a prompt may take: the DiT's joint attention grows with every 256 tokens of context. */
        const val MAX_T5_CHUNKS = 8
        const val MAX_CHARACTERS = 20_000
    }
}
