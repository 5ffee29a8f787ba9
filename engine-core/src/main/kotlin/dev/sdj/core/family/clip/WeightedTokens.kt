package dev.sdj.core.family.clip

/** Token ids in [chunkLength]-long chunks, each chunk one text-encoder pass, and a weight for every id. */
data class WeightedTokens(val ids: List<Int>, val weights: List<Float>, val chunkLength: Int) {
    init {
        require(ids.size == weights.size && ids.isNotEmpty() && ids.size % chunkLength == 0) {
            "${ids.size} ids and ${weights.size} weights do not make whole chunks of $chunkLength"
        }
    }

    val chunkCount: Int get() = ids.size / chunkLength

    fun chunk(index: Int): WeightedTokens {
        val range = index * chunkLength until (index + 1) * chunkLength
        return WeightedTokens(ids.slice(range), weights.slice(range), chunkLength)
    }
}

/** Builds [WeightedTokens] chunk by chunk: BOS, content, EOS, padding. */
internal class WeightedChunks(
    private val length: Int,
    private val bos: Int,
    private val eos: Int,
    private val pad: Int,
) {
    private val ids = ArrayList<Int>()
    private val weights = ArrayList<Float>()
    private val contentIds = ArrayList<Int>()
    private val contentWeights = ArrayList<Float>()
    private var chunks = 0

    fun add(id: Int, weight: Float) {
        if (contentIds.size == length - 2) close()
        contentIds += id
        contentWeights += weight
    }

    fun close() {
        ids += bos
        ids += contentIds
        ids += eos
        weights += 1f
        weights += contentWeights
        weights += 1f
        repeat(length - 2 - contentIds.size) {
            ids += pad
            weights += 1f
        }
        contentIds.clear()
        contentWeights.clear()
        chunks++
    }

    /** Closes the last chunk if it holds tokens, or if there is no chunk at all. */
    fun finish(): WeightedTokens {
        if (contentIds.isNotEmpty() || chunks == 0) close()
        return WeightedTokens(ids, weights, length)
    }
}
