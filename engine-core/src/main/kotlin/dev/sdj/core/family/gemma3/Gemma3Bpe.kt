package dev.sdj.core.family.gemma3

import java.util.PriorityQueue

/**
 * Hugging Face's BPE on one stretch of normalized text: one symbol per character (its token, or its UTF-8 bytes as
 * `<0xNN>` tokens, or `<unk>`), then repeatedly the adjacent pair with the lowest merge rank is joined, the leftmost
 * of equal ranks first, until no pair has a rule.
 *
 * Gemma-3 has no pre-tokenizer that splits words, so a whole prompt is one stretch. The symbols are a linked list and
 * the candidate pairs a heap, so a 1024-token prompt (or 10,000 repeated characters) costs n log n, not n².
 */
internal class Gemma3Bpe(private val vocabulary: Gemma3Vocabulary) {
    fun encode(text: String, out: MutableList<Int>) {
        val ids = symbols(text)
        val n = ids.size
        if (n == 0) return
        val prev = IntArray(n) { it - 1 }
        val next = IntArray(n) { if (it + 1 < n) it + 1 else -1 }
        val alive = BooleanArray(n) { true }
        val merges = vocabulary.merges
        // A candidate packs (rank, left position) into one long, so the heap orders by rank, then position.
        val queue = PriorityQueue<Long>(maxOf(1, n))
        fun offer(left: Int) {
            val right = next[left]
            if (right < 0) return
            val slot = merges.find(ids[left], ids[right])
            if (slot >= 0) queue.add((merges.rank(slot).toLong() shl 32) or left.toLong())
        }
        for (i in 0 until n - 1) offer(i)
        while (queue.isNotEmpty()) {
            val candidate = queue.poll()
            val left = candidate.toInt()
            val rank = (candidate ushr 32).toInt()
            val right = next[left]
            // A candidate is stale when its left symbol was absorbed or either side has changed since it was queued.
            if (!alive[left] || right < 0) continue
            val slot = merges.find(ids[left], ids[right])
            if (slot < 0 || merges.rank(slot) != rank) continue
            ids[left] = merges.mergedId(slot)
            alive[right] = false
            val after = next[right]
            next[left] = after
            if (after >= 0) prev[after] = left
            if (prev[left] >= 0) offer(prev[left])
            offer(left)
        }
        var i = 0
        while (i >= 0) {
            out.add(ids[i])
            i = next[i]
        }
    }

    /** The starting symbols: each character's token, or its byte tokens, or `<unk>` (fused when configured). */
    private fun symbols(text: String): IntArray {
        val ids = IntArrayList(text.length)
        var lastUnknown = false
        var i = 0
        while (i < text.length) {
            val cp = text.codePointAt(i)
            val width = Character.charCount(cp)
            val char = text.substring(i, i + width)
            i += width
            val id = vocabulary.id(char)
            if (id != null) {
                ids.add(id)
                lastUnknown = false
                continue
            }
            if (vocabulary.byteFallback) {
                val bytes = char.toByteArray(Charsets.UTF_8)
                val byteIds = bytes.map { vocabulary.byteIds[it.toInt() and 0xFF] }
                if (byteIds.all { it >= 0 }) {
                    byteIds.forEach(ids::add)
                    lastUnknown = false
                    continue
                }
            }
            val unk = vocabulary.unkId ?: continue
            if (!(vocabulary.fuseUnknown && lastUnknown)) ids.add(unk)
            lastUnknown = true
        }
        return ids.toArray()
    }

    /** A growable primitive int list, to avoid boxing one Integer per character. */
    private class IntArrayList(capacity: Int) {
        private var items = IntArray(maxOf(4, capacity))
        private var size = 0

        fun add(value: Int) {
            if (size == items.size) items = items.copyOf(size * 2)
            items[size++] = value
        }

        fun toArray(): IntArray = items.copyOf(size)
    }
}
