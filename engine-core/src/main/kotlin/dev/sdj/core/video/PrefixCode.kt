package dev.sdj.core.video

import java.util.PriorityQueue

/**
 * A canonical prefix (Huffman) code as DEFLATE and VP8L define it: [lengths] per symbol (0 = unused), codes assigned
 * in order of length then symbol, each stored bit-reversed in [codes] so that writing it least significant bit first
 * puts its first bit first.
 */
internal class PrefixCode private constructor(val lengths: IntArray, val codes: IntArray) {
    val usedSymbols: Int get() = lengths.count { it > 0 }

    fun write(bits: LsbBitWriter, symbol: Int) = bits.write(codes[symbol], lengths[symbol])

    companion object {
        /**
         * The optimal code for [counts] with no code longer than [maxLength], for at least two used symbols. When
         * Huffman's tree is too deep, counts are halved (a used symbol keeps at least 1) until it fits: each halving
         * flattens the tree, and equal counts give a balanced one.
         */
        fun build(counts: IntArray, maxLength: Int): PrefixCode {
            require(counts.count { it > 0 } >= 2) { "a prefix code needs at least two used symbols" }
            var scaled = counts.copyOf()
            while (true) {
                val lengths = huffmanLengths(scaled)
                if (lengths.max() <= maxLength) return fromLengths(lengths)
                scaled = IntArray(scaled.size) { if (scaled[it] == 0) 0 else maxOf(1, scaled[it] / 2) }
            }
        }

        fun fromLengths(lengths: IntArray): PrefixCode {
            val maxLength = lengths.max()
            val perLength = IntArray(maxLength + 1)
            for (l in lengths) if (l > 0) perLength[l]++
            val next = IntArray(maxLength + 2)
            var code = 0
            for (l in 1..maxLength) {
                code = (code + perLength[l - 1]) shl 1
                next[l] = code
            }
            val codes = IntArray(lengths.size)
            for (s in lengths.indices) {
                val l = lengths[s]
                if (l > 0) codes[s] = reverse(next[l]++, l)
            }
            return PrefixCode(lengths, codes)
        }

        private fun reverse(code: Int, length: Int): Int = Integer.reverse(code) ushr (32 - length)

        private class Node(val weight: Long, val symbol: Int, val left: Node?, val right: Node?)

        private fun huffmanLengths(counts: IntArray): IntArray {
            // Ties broken by symbol, then by creation order, so the code is a function of the counts alone.
            var order = 0L
            val queue = PriorityQueue<Pair<Node, Long>>(compareBy<Pair<Node, Long>> { it.first.weight }.thenBy { it.second })
            for ((s, c) in counts.withIndex()) if (c > 0) queue += Node(c.toLong(), s, null, null) to order++
            while (queue.size > 1) {
                val a = queue.poll().first
                val b = queue.poll().first
                queue += Node(a.weight + b.weight, -1, a, b) to order++
            }
            val lengths = IntArray(counts.size)
            fun walk(node: Node, depth: Int) {
                if (node.left == null) lengths[node.symbol] = depth else {
                    walk(node.left, depth + 1)
                    walk(node.right!!, depth + 1)
                }
            }
            walk(queue.poll().first, 0)
            return lengths
        }
    }
}
