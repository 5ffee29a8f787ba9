package dev.sdj.core.family.gemma3

/**
 * BPE merge rules as a pair of token ids to (rank, merged id), in primitive arrays: Gemma-3 has 514,906 merges, and
 * a map of boxed pairs would cost tens of MiB and be slow to build. Open addressing with linear probing; the table is
 * at most half full, so probes stay short.
 */
internal class Gemma3Merges private constructor(
    private val keys: LongArray,
    private val ranks: IntArray,
    private val merged: IntArray,
    val size: Int,
) {
    /** The slot of the merge of [left] then [right], or -1 when no rule joins them. */
    fun find(left: Int, right: Int): Int {
        val key = key(left, right)
        val mask = keys.size - 1
        var slot = slotOf(key, mask)
        while (true) {
            val k = keys[slot]
            if (k == EMPTY) return -1
            if (k == key) return slot
            slot = (slot + 1) and mask
        }
    }

    /** Lower ranks merge first. */
    fun rank(slot: Int): Int = ranks[slot]

    fun mergedId(slot: Int): Int = merged[slot]

    /** Collects rules in rank order (the first added has rank 0). */
    class Builder(expected: Int) {
        private var capacity = Integer.highestOneBit(maxOf(16, expected * 2 + 1)) shl 1
        private var keys = LongArray(capacity) { EMPTY }
        private var ranks = IntArray(capacity)
        private var merged = IntArray(capacity)
        private var count = 0
        private var nextRank = 0

        /**
         * A pair listed twice keeps its later rank, as Hugging Face's BPE builds its merge map by inserting every rule
         * into a hash map in order.
         */
        fun add(left: Int, right: Int, mergedId: Int) {
            if (count * 2 >= capacity) grow()
            val rank = nextRank++
            if (put(keys, ranks, merged, key(left, right), rank, mergedId)) count++
        }

        fun build(): Gemma3Merges = Gemma3Merges(keys, ranks, merged, count)

        private fun grow() {
            capacity = capacity shl 1
            val newKeys = LongArray(capacity) { EMPTY }
            val newRanks = IntArray(capacity)
            val newMerged = IntArray(capacity)
            for (i in keys.indices) if (keys[i] != EMPTY) put(newKeys, newRanks, newMerged, keys[i], ranks[i], merged[i])
            keys = newKeys
            ranks = newRanks
            merged = newMerged
        }

        /** True when [key] was new. */
        private fun put(keys: LongArray, ranks: IntArray, merged: IntArray, key: Long, rank: Int, mergedId: Int): Boolean {
            val mask = keys.size - 1
            var slot = slotOf(key, mask)
            while (keys[slot] != EMPTY && keys[slot] != key) slot = (slot + 1) and mask
            val fresh = keys[slot] == EMPTY
            keys[slot] = key
            ranks[slot] = rank
            merged[slot] = mergedId
            return fresh
        }
    }

    private companion object {
        /** No pair of valid ids (both non-negative) packs to -1. */
        const val EMPTY = -1L

        fun key(left: Int, right: Int): Long = (left.toLong() shl 32) or (right.toLong() and 0xFFFFFFFFL)

        /** A multiplicative mix, so that pairs sharing a left id do not crowd one run of slots. */
        fun slotOf(key: Long, mask: Int): Int = ((key * -0x61c8864680b583ebL) ushr 32).toInt() and mask
    }
}
