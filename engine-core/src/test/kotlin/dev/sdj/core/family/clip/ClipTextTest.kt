package dev.sdj.core.family.clip

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** CLIP's text preparation; expected strings are what CPython's `html.unescape` and `str.lower` return. */
class ClipTextTest {
    @Test
    fun `numeric references follow HTML 5 as Python does`() {
        assertEquals(
            "AA\uFFFD\r\u20AC\u0081\u0178\uFFFD\uFFFD&#;&#x;",
            HtmlEntities.unescape("&#65;&#x41;&#0;&#13;&#128;&#129;&#x9F;&#xD800;&#1114112;&#xFFFE;&#11;&#;&#x;"),
        )
    }

    @Test
    fun `named references, legacy prefixes and the uncovered rest`() {
        assertEquals(
            "&&x\u00A92024\u2209\u00ACit;&'&aposx\u27E8",
            HtmlEntities.unescape("&amp;&ampx&copy2024&notin;&notit;&AMP;&apos;&aposx&lang;"),
        )
        // An HTML 5 name outside the covered set stays as written; Python would give U+2660.
        assertEquals("&spadesuit;", HtmlEntities.unescape("&spadesuit;"))
    }

    @Test
    fun `cleaning unescapes twice, collapses whitespace and lowers like Python`() {
        assertEquals("< a b", ClipText.clean("\u001C &amp;lt;\u3000A \n\t B \u001F"))
        assertEquals(
            "\u03C3\u03AF\u03C3\u03C5\u03C6\u03BF\u03C3:ab \u03C3\u03AF\u03C3\u03C5\u03C6\u03BF\u03C2\u2014ab \u03C3",
            ClipText.clean("ΣΊΣΥΦΟΣ:ab ΣΊΣΥΦΟΣ—ab Σ"),
        )
        assertEquals("i\u0307stanbul", ClipText.clean("İstanbul"))
    }

    @Test
    fun `words follow CLIP's pattern`() {
        assertEquals(listOf("it", "'s", "a", "3", ".", "1", "cat", "!!", "<|endoftext|>"), ClipText.words("It's a 3.1 cat!! <|endoftext|>"))
        assertEquals(listOf("a", "b"), ClipText.words("a\u0345b"))
    }
}
