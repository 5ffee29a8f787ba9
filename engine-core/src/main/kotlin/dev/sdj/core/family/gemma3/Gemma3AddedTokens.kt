package dev.sdj.core.family.gemma3

/**
 * Finds added tokens in raw text as Hugging Face's added vocabulary does (Aho-Corasick, leftmost-longest): the match
 * starting first wins, and of those the longest. Gemma-3's added tokens are all matched before normalization, so
 * `<start_of_turn>` typed in a prompt is that one token, and so is a run of up to 31 newlines.
 *
 * A trie over UTF-16 units: from each position only as many characters as the longest token are looked at, so the
 * scan is linear in the text's length.
 */
internal class Gemma3AddedTokens(tokens: Map<String, Int>) {
    private class Node {
        val next = HashMap<Char, Node>(4)
        var id = -1
    }

    private val root = Node()

    init {
        for ((text, id) in tokens) {
            if (text.isEmpty()) continue
            var node = root
            for (c in text) node = node.next.getOrPut(c) { Node() }
            node.id = id
        }
    }

    /**
     * Calls [plain] for each stretch of text between matches (never empty) and [token] for each match, in order.
     */
    fun split(text: String, plain: (String) -> Unit, token: (Int) -> Unit) {
        var start = 0
        var i = 0
        while (i < text.length) {
            var node: Node? = root
            var matchEnd = -1
            var matchId = -1
            var j = i
            while (j < text.length) {
                node = node!!.next[text[j]] ?: break
                j++
                if (node.id >= 0) {
                    matchEnd = j
                    matchId = node.id
                }
            }
            if (matchEnd < 0) {
                i++
                continue
            }
            if (i > start) plain(text.substring(start, i))
            token(matchId)
            i = matchEnd
            start = i
        }
        if (start < text.length) plain(text.substring(start))
    }
}
