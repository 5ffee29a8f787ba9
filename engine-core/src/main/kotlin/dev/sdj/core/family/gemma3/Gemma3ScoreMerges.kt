package dev.sdj.core.family.gemma3

/**
 * Merge rules rebuilt from SentencePiece scores, in the order Hugging Face's converter writes them into
 * tokenizer.json (checked against Gemma-3's real file: the same 514,906 rules in the same order). For every token,
 * every split into two tokens is a rule; rules are sorted by the joined token's score (highest first), then the
 * left part's length and the right part's length in code points (longest first), and otherwise stay in the
 * converter's generation order: by joined id, then left id, then right id.
 */
internal object Gemma3ScoreMerges {
    fun derive(tokens: List<String>, scores: List<Double>, ids: Map<String, Int>): Gemma3Merges {
        val joined = IntArrayBuilder()
        val lefts = IntArrayBuilder()
        val rights = IntArrayBuilder()
        val leftLengths = IntArrayBuilder()
        val rightLengths = IntArrayBuilder()
        for ((id, token) in tokens.withIndex()) {
            // A duplicated token string belongs to its last id, as in the converter's piece-to-id dictionary.
            if (ids[token] != id) continue
            val points = token.codePointCount(0, token.length)
            var cut = 0
            for (leftLength in 1 until points) {
                cut = token.offsetByCodePoints(cut, 1)
                val left = ids[token.substring(0, cut)] ?: continue
                val right = ids[token.substring(cut)] ?: continue
                joined.add(id)
                lefts.add(left)
                rights.add(right)
                leftLengths.add(leftLength)
                rightLengths.add(points - leftLength)
            }
        }
        val j = joined.toArray()
        val l = lefts.toArray()
        val r = rights.toArray()
        val ll = leftLengths.toArray()
        val rl = rightLengths.toArray()
        // Adding 0.0 turns -0.0 into 0.0: the converter compares scores as numbers, where they are equal, while
        // Double.compareTo puts -0.0 first (-(494 - 494) is how a rank-derived score of the first piece comes out).
        val score = DoubleArray(tokens.size) { scores[it] + 0.0 }
        // One comparator over the primitive arrays: a chain of key lambdas boxed every value it compared and took
        // seconds on Gemma-3's half a million rules.
        val order = (0 until j.size).sortedWith { x, y ->
            when {
                score[j[x]] != score[j[y]] -> score[j[y]].compareTo(score[j[x]])
                ll[x] != ll[y] -> ll[y].compareTo(ll[x])
                rl[x] != rl[y] -> rl[y].compareTo(rl[x])
                j[x] != j[y] -> j[x].compareTo(j[y])
                l[x] != l[y] -> l[x].compareTo(l[y])
                else -> r[x].compareTo(r[y])
            }
        }
        val builder = Gemma3Merges.Builder(order.size)
        for (i in order) builder.add(l[i], r[i], j[i])
        return builder.build()
    }

    private class IntArrayBuilder {
        private var items = IntArray(1024)
        private var size = 0

        fun add(value: Int) {
            if (size == items.size) items = items.copyOf(size * 2)
            items[size++] = value
        }

        fun toArray(): IntArray = items.copyOf(size)
    }
}
