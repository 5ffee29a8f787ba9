package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.gemma3.Gemma3Prompt
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class Ltx2TextPromptsTest {
    private val tokenized = ArrayList<String>()

    /** A word's length as its token: enough to tell the layouts of different texts apart. */
    private val prompts = Ltx2TextPrompts { text -> tokenized.add(text); text.split(' ').map { it.length }.toIntArray() }

    private val request = GenerationRequest.builder("a red fox runs through snow").negativePrompt("blurry").cfgScale(4.0).build()

    @Test
    fun `a request's prompts are tokenized once however often they are laid out`() {
        val first = prompts.of(request)
        repeat(3) { prompts.of(request) }
        prompts.of(request.toBuilder().cfgScale(1.0).build())
        assertEquals(listOf("a red fox runs through snow", "blurry"), tokenized, "each text once, the prompt alone reused too")
        assertArrayEquals(Gemma3Prompt.of(intArrayOf(1, 3, 3, 4, 7, 4)).ids, first[0].ids)
        assertArrayEquals(Gemma3Prompt.of(intArrayOf(6)).ids, first[1].ids)
    }

    @Test
    fun `a changed prompt is tokenized anew, the unchanged one not`() {
        prompts.of(request)
        val other = prompts.of(request.toBuilder().negativePrompt("dark and blurry").build())
        assertEquals(listOf("a red fox runs through snow", "blurry", "dark and blurry"), tokenized)
        assertArrayEquals(Gemma3Prompt.of(intArrayOf(4, 3, 6)).ids, other[1].ids)
    }
}
