package dev.sdj.core.family.t5

import kotlin.math.abs
import kotlin.math.ln
import kotlin.math.min

/**
 * T5's bidirectional relative-position buckets: which row of the relative attention bias table a query–key pair
 * reads. Half the buckets are for keys at or before the query, half for keys after it; in each half, the first
 * quarter of the buckets holds distances 0, 1, 2, … exactly, and the rest spread logarithmically up to [MAX_DISTANCE],
 * beyond which every distance shares the last bucket.
 *
 * The logarithmic part is computed in f32 as Hugging Face's T5Attention and stable-diffusion.cpp both compute it, so
 * a distance on a bucket boundary truncates the same way (for 32 buckets, f64 gives the same buckets for every
 * distance below 2048; the f32 path is kept so that other bucket counts do too).
 */
object T5RelativePositions {
    /** The distance up to which buckets are spread: an architectural constant of T5 v1.1, not in its weights. */
    const val MAX_DISTANCE = 128

    /**
     * @param relative key position minus query position
     * @param buckets rows of the bias table (32 in every T5 v1.1)
     */
    fun bucket(relative: Int, buckets: Int, maxDistance: Int = MAX_DISTANCE): Int {
        require(buckets >= 4 && buckets % 2 == 0) { "bidirectional T5 buckets come in halves of at least two, got $buckets" }
        val half = buckets / 2
        val side = if (relative > 0) half else 0
        val distance = abs(relative)
        val exact = half / 2
        if (distance < exact) return side + distance
        val spread = ln(distance.toFloat() / exact) / ln(maxDistance.toFloat() / exact) * (half - exact)
        return side + min(exact + spread.toInt(), half - 1)
    }

    /**
     * The bucket of every query–key pair of a [tokens]-long sequence, key fastest: element k + tokens·q is the bucket
     * of query q and key k, the order the encoder's bias input expects.
     */
    fun table(tokens: Int, buckets: Int): IntArray {
        val byOffset = IntArray(2 * tokens - 1) { bucket(it - (tokens - 1), buckets) }
        return IntArray(tokens * tokens) { i -> byOffset[i % tokens - i / tokens + tokens - 1] }
    }
}
