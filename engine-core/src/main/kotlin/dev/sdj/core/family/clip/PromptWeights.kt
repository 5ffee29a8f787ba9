package dev.sdj.core.family.clip

import java.util.regex.Pattern

/**
 * A1111's prompt attention syntax (`parse_prompt_attention` in stable-diffusion-webui's prompt_parser.py, of which
 * stable-diffusion.cpp carries a port):
 * - `(text)` multiplies the weight of text by 1.1, `[text]` divides it by 1.1, `(text:1.5)` multiplies it by 1.5;
 *   nesting multiplies.
 * - `\(` `\)` `\[` `\]` `\\` are the literal characters; a backslash before anything else is dropped.
 * - A bracket opened and never closed weighs everything after it as if closed at the end; a closing bracket with
 *   nothing open, or `:1.5)` with no `(` open, is plain text. A weight that is not a number (`(a:1.2.3)`) is plain
 *   text too, where A1111 stops with an error.
 * - The word BREAK (whole word, capitals) becomes the [BREAK] marker, which starts a new chunk. Unlike A1111, brackets
 *   around a BREAK do not scale the marker: there it would turn into the literal word with a negative weight.
 * - Neighbouring pieces of equal weight are joined, as A1111 does.
 */
object PromptWeights {
    /** The marker for BREAK, spelled as A1111 spells it. */
    val BREAK: Pair<String, Float> = "BREAK" to -1f

    private const val ROUND = 1.1
    private const val SQUARE = 1 / 1.1

    private val attention = Pattern.compile(
        """\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:([+-]?[.\d]+)\)|\)|]|[^\\()\[\]:]+|:""",
    )
    private val breakWord = Pattern.compile("""\s*\bBREAK\b\s*""", Pattern.UNICODE_CHARACTER_CLASS).toRegex()

    private class Piece(val text: String, var weight: Double, val isBreak: Boolean = false)

    /** The prompt as (text, weight) pieces in order, with [BREAK] where the prompt says BREAK. */
    fun parse(text: String): List<Pair<String, Float>> {
        val pieces = ArrayList<Piece>()
        val round = ArrayList<Int>()
        val square = ArrayList<Int>()
        fun scale(from: Int, by: Double) {
            for (i in from until pieces.size) if (!pieces[i].isBreak) pieces[i].weight *= by
        }
        val m = attention.matcher(text)
        while (m.find()) {
            val token = m.group()
            val explicit = m.group(1)?.toDoubleOrNull()
            when {
                token.startsWith("\\") -> pieces += Piece(token.substring(1), 1.0)
                token == "(" -> round += pieces.size
                token == "[" -> square += pieces.size
                explicit != null && round.isNotEmpty() -> scale(round.removeAt(round.lastIndex), explicit)
                token == ")" && round.isNotEmpty() -> scale(round.removeAt(round.lastIndex), ROUND)
                token == "]" && square.isNotEmpty() -> scale(square.removeAt(square.lastIndex), SQUARE)
                else -> addText(pieces, token)
            }
        }
        for (start in round) scale(start, ROUND)
        for (start in square) scale(start, SQUARE)
        if (pieces.isEmpty()) pieces += Piece("", 1.0)
        return joinEqualNeighbours(pieces).map { if (it.isBreak) BREAK else it.text to it.weight.toFloat() }
    }

    private fun addText(pieces: MutableList<Piece>, text: String) {
        text.split(breakWord).forEachIndexed { i, part ->
            if (i > 0) pieces += Piece(BREAK.first, BREAK.second.toDouble(), isBreak = true)
            pieces += Piece(part, 1.0)
        }
    }

    /** Joins runs of equal weight, each run's text built once (joining pair by pair is quadratic in a long prompt). */
    private fun joinEqualNeighbours(pieces: List<Piece>): List<Piece> {
        val out = ArrayList<Piece>(pieces.size)
        var i = 0
        while (i < pieces.size) {
            val first = pieces[i]
            var end = i + 1
            if (!first.isBreak) {
                while (end < pieces.size && !pieces[end].isBreak && pieces[end].weight == first.weight) end++
            }
            out += if (end == i + 1) first else Piece(pieces.subList(i, end).joinToString("") { it.text }, first.weight)
            i = end
        }
        return out
    }
}
