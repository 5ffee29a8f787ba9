package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomWeights
import dev.sdj.core.graph.Nd
import java.util.Random

/**
 * The tiny LTX-2.3 text path the tests share: a Gemma-like stack of 3 states × hidden 32 × 12 tokens whose first 4 are
 * padding, projected to a video width of 64 and an audio width of 32, each connector 4 heads and 2 blocks with 128
 * registers (so 1024 tokens, as LTX-2.3 gives any prompt under 1024 tokens).
 */
object Ltx2TinyText {
    const val HIDDEN = 32
    const val PLANES = 3
    const val TOKENS = 12
    const val PADDING = 4
    const val VALID = TOKENS - PADDING
    val VIDEO = Ltx2Reference64.Connector(width = 64, heads = 4, blocks = 2, registers = 128)
    val AUDIO = Ltx2Reference64.Connector(width = 32, heads = 4, blocks = 2, registers = 128)

    fun weights(seed: Long, video: Ltx2Reference64.Connector = VIDEO, audio: Ltx2Reference64.Connector = AUDIO): RandomWeights =
        RandomWeights(seed).also { Ltx2Reference64.weights(it, HIDDEN, PLANES, video, audio) }

    /**
     * Hidden states of very different sizes per state (Gemma's grow with depth; ×1, ×40, ×0.02 here), so that a
     * normalisation over the wrong axis shows; the padding tokens ×1000, so that any of them reaching the output shows.
     */
    fun stack(seed: Long): Nd {
        val s = Nd.random(Random(seed), 1.0, HIDDEN, TOKENS, PLANES)
        val scales = doubleArrayOf(1.0, 40.0, 0.02)
        for (l in 0 until PLANES) for (t in 0 until TOKENS) for (d in 0 until HIDDEN) {
            val i = d + HIDDEN * (t + TOKENS * l)
            s.d[i] = (s.d[i] * scales[l] * (if (t < PADDING) 1000.0 else 1.0)).toFloat().toDouble()
        }
        return s
    }
}
