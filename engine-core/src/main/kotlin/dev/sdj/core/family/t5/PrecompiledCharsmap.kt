package dev.sdj.core.family.t5

import java.io.ByteArrayOutputStream

/**
 * SentencePiece's precompiled normalization map (for T5, the "nmt_nfkc" rules: NFKC plus mapping control and
 * unusual space characters to a plain space or to nothing), as stored in `spiece.model`'s NormalizerSpec and in
 * tokenizer.json's `Precompiled` normalizer.
 *
 * The blob is a little-endian uint32 byte count, a darts-clone double-array trie of that many bytes keyed by UTF-8
 * byte strings, then NUL-terminated replacement strings that the trie's values point into. Normalizing replaces,
 * at each position, the longest key found there by its replacement, and copies one character where no key starts:
 * SentencePiece's own rule. Hugging Face's fast tokenizer instead replaces a whole grapheme cluster (under 6 bytes)
 * by the replacement of its shortest listed prefix, so the two differ only where a mapped character carries a
 * combining mark that the map does not list with it: for "Ⅻ" + U+0301 it drops the accent, here the accent stays
 * (and becomes `<unk>`).
 */
class PrecompiledCharsmap private constructor(
    private val units: IntArray,
    private val replacements: ByteArray,
    /** The blob it was parsed from, for writing it out again. */
    val blob: ByteArray,
) {
    fun normalize(text: String): String {
        val bytes = text.toByteArray(Charsets.UTF_8)
        val out = ByteArrayOutputStream(bytes.size + 16)
        var position = 0
        while (position < bytes.size) {
            val match = longestKey(bytes, position)
            if (match != null) {
                val (length, offset) = match
                var end = offset
                while (end < replacements.size && replacements[end] != 0.toByte()) end++
                out.write(replacements, offset, end - offset)
                position += length
            } else {
                val length = minOf(utf8Length(bytes[position]), bytes.size - position)
                out.write(bytes, position, length)
                position += length
            }
        }
        return out.toString(Charsets.UTF_8)
    }

    /** The byte length and replacement offset of the longest trie key that starts at [start], or null. */
    private fun longestKey(bytes: ByteArray, start: Int): Pair<Int, Int>? {
        var found: Pair<Int, Int>? = null
        var node = offset(units[0])
        for (i in start until bytes.size) {
            val label = bytes[i].toInt() and 0xFF
            node = node xor label
            if (node !in units.indices) break
            val unit = units[node]
            if (label(unit) != label) break
            node = node xor offset(unit)
            if (hasLeaf(unit)) {
                if (node !in units.indices) break
                val value = units[node] and Int.MAX_VALUE
                if (value in replacements.indices) found = (i - start + 1) to value
            }
        }
        return found
    }

    companion object {
        /** Parses the blob; null when it is too short or its trie size does not fit, so callers can name the file. */
        fun parse(blob: ByteArray): PrecompiledCharsmap? {
            if (blob.size < 4) return null
            val trieBytes = (blob[0].toLong() and 0xFF) or ((blob[1].toLong() and 0xFF) shl 8) or
                ((blob[2].toLong() and 0xFF) shl 16) or ((blob[3].toLong() and 0xFF) shl 24)
            if (trieBytes == 0L || trieBytes % 4 != 0L || trieBytes > blob.size - 4) return null
            val units = IntArray((trieBytes / 4).toInt()) { i ->
                val at = 4 + 4 * i
                (blob[at].toInt() and 0xFF) or ((blob[at + 1].toInt() and 0xFF) shl 8) or
                    ((blob[at + 2].toInt() and 0xFF) shl 16) or ((blob[at + 3].toInt() and 0xFF) shl 24)
            }
            return PrecompiledCharsmap(units, blob.copyOfRange(4 + trieBytes.toInt(), blob.size), blob.copyOf())
        }

        // A darts-clone unit: bits 0-7 the label (bit 31 set on leaves), bit 8 "has a leaf child", bit 9 selects an
        // 8-bit shift of the offset held in bits 10-31.
        private fun label(unit: Int): Int = unit and (Int.MIN_VALUE or 0xFF)
        private fun hasLeaf(unit: Int): Boolean = (unit ushr 8) and 1 == 1
        private fun offset(unit: Int): Int = (unit ushr 10) shl ((unit and (1 shl 9)) ushr 6)

        private fun utf8Length(lead: Byte): Int {
            val b = lead.toInt() and 0xFF
            return when {
                b < 0xC0 -> 1
                b < 0xE0 -> 2
                b < 0xF0 -> 3
                else -> 4
            }
        }
    }
}
