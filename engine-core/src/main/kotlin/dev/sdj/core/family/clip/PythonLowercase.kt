package dev.sdj.core.family.clip

import java.util.Locale

/**
 * Python's `str.lower`, which CLIP applies. Java's lowercasing agrees except on capital sigma: both pick final ς by
 * context, but by different contexts (Python by Unicode's Final_Sigma, Java by word boundaries), so sigma is decided
 * here by Python's rule and the text between sigmas is lowered by Java.
 */
internal object PythonLowercase {
    private const val CAPITAL_SIGMA = '\u03A3'

    /** Word_Break MidLetter, MidNumLet and Single_Quote. */
    private val WORD_INTERNAL_PUNCTUATION = setOf(
        0x27, 0x2E, 0x3A, 0xB7, 0x387, 0x55F, 0x5F4, 0x2018, 0x2019, 0x2024, 0x2027, 0xFE13, 0xFE52, 0xFE55, 0xFF07,
        0xFF0E, 0xFF1A,
    )

    fun lower(text: String): String {
        if (CAPITAL_SIGMA !in text) return text.lowercase(Locale.ROOT)
        val out = StringBuilder(text.length)
        var start = 0
        while (true) {
            val sigma = text.indexOf(CAPITAL_SIGMA, start)
            out.append(text.substring(start, if (sigma < 0) text.length else sigma).lowercase(Locale.ROOT))
            if (sigma < 0) return out.toString()
            out.append(if (isFinalSigma(text, sigma)) '\u03C2' else '\u03C3')
            start = sigma + 1
        }
    }

    /** Python's Final_Sigma: a cased letter before it and none after it, case-ignorable characters skipped. */
    private fun isFinalSigma(text: String, at: Int): Boolean {
        var i = at
        var before = -1
        while (i > 0) {
            val cp = text.codePointBefore(i)
            i -= Character.charCount(cp)
            if (!isCaseIgnorable(cp)) {
                before = cp
                break
            }
        }
        if (before < 0 || !isCased(before)) return false
        i = at + 1
        while (i < text.length) {
            val cp = text.codePointAt(i)
            if (!isCaseIgnorable(cp)) return !isCased(cp)
            i += Character.charCount(cp)
        }
        return true
    }

    private fun isCased(cp: Int) = Character.isLowerCase(cp) || Character.isUpperCase(cp) || Character.isTitleCase(cp)

    /** Unicode's Case_Ignorable: marks, format controls, modifiers, and the word-internal punctuation of UAX 29. */
    private fun isCaseIgnorable(cp: Int): Boolean = when (Character.getType(cp)) {
        Character.NON_SPACING_MARK.toInt(), Character.ENCLOSING_MARK.toInt(), Character.FORMAT.toInt(),
        Character.MODIFIER_LETTER.toInt(), Character.MODIFIER_SYMBOL.toInt(),
        -> true
        else -> cp in WORD_INTERNAL_PUNCTUATION
    }
}
