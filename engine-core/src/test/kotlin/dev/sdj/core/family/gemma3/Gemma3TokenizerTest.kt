package dev.sdj.core.family.gemma3

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTimeoutPreemptively
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import org.junit.jupiter.api.function.ThrowingSupplier
import java.time.Duration

/** Gemma-3's real vocabulary against Hugging Face's ids (see [Gemma3KnownAnswers] for where they come from). */
class Gemma3TokenizerTest {
    private val tokenizer = Gemma3TestVocabulary.tokenizer

    @TestFactory
    fun `known answers with bos`(): List<DynamicTest> = Gemma3KnownAnswers.cases.map { (text, ids) ->
        DynamicTest.dynamicTest(printable(text)) { assertEquals(ids, tokenizer.encode(text), printable(text)) }
    }

    /** Without special tokens Hugging Face gives the same ids less the leading `<bos>` (checked for every case). */
    @TestFactory
    fun `known answers without bos`(): List<DynamicTest> = Gemma3KnownAnswers.cases.map { (text, ids) ->
        DynamicTest.dynamicTest(printable(text)) {
            assertEquals(ids.drop(1), tokenizer.encode(text, addSpecialTokens = false), printable(text))
        }
    }

    @Test
    fun `there are at least thirty known answers, and they exercise byte fallback and added tokens`() {
        val cases = Gemma3KnownAnswers.cases
        assertTrue(cases.size >= 30, "${cases.size} cases")
        val all = cases.flatMap { it.second }.toSet()
        val vocabulary = Gemma3TestVocabulary.vocabulary
        assertTrue(all.any { vocabulary.token(it).matches(Regex("<0x[0-9A-F]{2}>")) }, "no case reaches byte fallback")
        assertTrue(105 in all && 262144 in all, "no case matches <start_of_turn> or <image_soft_token> in the text")
    }

    /**
     * Long inputs in one BPE piece (Gemma-3 has no word splitting): ten thousand equal characters, three thousand
     * spaces and a 1,300-token prompt, exact and fast. The bound is loose for a shared 2-core machine; a quadratic
     * merge loop takes far longer on the 10,000 characters.
     */
    @Test
    fun `long inputs give the known ids quickly`() {
        tokenizer.encode("warm up")
        for ((text, ids) in listOf(Gemma3KnownAnswers.repeatedA, Gemma3KnownAnswers.spaces, Gemma3KnownAnswers.longPrompt)) {
            val got = assertTimeoutPreemptively(Duration.ofSeconds(5), ThrowingSupplier { tokenizer.encode(text) })
            val firstDifference = ids.indices.firstOrNull { it >= got.size || got[it] != ids[it] } ?: got.size.takeIf { it != ids.size }
            assertNull(firstDifference, "${text.length} characters starting '${printable(text.take(20))}': ${got.size} ids " +
                "for ${ids.size}, first differing at ${firstDifference}")
        }
        assertTrue(Gemma3KnownAnswers.longPrompt.second.size > 1024)
    }

    /** Quoted, so that a blank text still names its test. */
    private fun printable(text: String): String =
        "'" + text.take(60).replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + "'"
}
