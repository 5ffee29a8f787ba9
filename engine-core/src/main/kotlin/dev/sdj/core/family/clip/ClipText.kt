package dev.sdj.core.family.clip

import java.text.Normalizer
import java.util.regex.Pattern

/**
 * CLIP's text preparation before BPE: OpenAI's `basic_clean` and `whitespace_clean`, then lower case, then the split
 * into words by CLIP's pattern.
 *
 * OpenAI runs `ftfy.fix_text` first; ftfy is Python-only and its mojibake repair is heuristic, so it is not
 * reproduced. Only its final step, NFC normalisation, is kept: it is plain Unicode, and Hugging Face's fast CLIP
 * tokenizer applies it too. Curly quotes, full-width forms and ligatures therefore reach BPE as typed.
 */
internal object ClipText {
    /**
     * CLIP's word pattern: the special tokens, English contractions, runs of letters, single digits, runs of anything
     * else that is not whitespace. Unicode classes throughout, as Python's `regex` module has them. The module, under
     * CLIP's IGNORECASE, excludes U+0345 (whose case fold is the letter iota) from the last class too, so OpenAI's
     * tokenizer drops that character; it is excluded here for the same result.
     */
    private val words: Pattern = Pattern.compile(
        "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}\\u0345]+",
        Pattern.CASE_INSENSITIVE or Pattern.UNICODE_CASE or Pattern.UNICODE_CHARACTER_CLASS,
    )

    fun clean(text: String): String {
        val unescaped = HtmlEntities.unescape(HtmlEntities.unescape(Normalizer.normalize(text, Normalizer.Form.NFC)))
        return PythonLowercase.lower(collapseWhitespace(unescaped))
    }

    /** The cleaned text split into CLIP's words, in order. */
    fun words(text: String): List<String> {
        val m = words.matcher(clean(text))
        val out = ArrayList<String>()
        while (m.find()) out += m.group()
        return out
    }

    /**
     * `strip`, then `re.sub(r'\s+', ' ', text)`; CLIP's second `strip` has nothing left to remove. Python's `strip`
     * also drops U+001C..U+001F, which its regex `\s` does not match, so the two tests differ by those four characters.
     */
    private fun collapseWhitespace(text: String): String {
        val out = StringBuilder(text.length)
        var pendingSpace = false
        for (c in text.trim(::isPythonSpace)) {
            if (isWhiteSpace(c)) {
                pendingSpace = true
            } else {
                if (pendingSpace) out.append(' ')
                pendingSpace = false
                out.append(c)
            }
        }
        return out.toString()
    }

    /** Unicode White_Space, what `\s` matches in Python's `regex`; every such character is in the BMP. */
    private fun isWhiteSpace(c: Char): Boolean = when (c.code) {
        in 0x09..0x0D, 0x20, 0x85, 0xA0, 0x1680, in 0x2000..0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true
        else -> false
    }

    /** Python's `str.isspace`, which `strip` uses. */
    private fun isPythonSpace(c: Char): Boolean = isWhiteSpace(c) || c.code in 0x1C..0x1F
}
