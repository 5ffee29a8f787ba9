package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.core.family.gemma3.Gemma3Prompt
import dev.sdj.core.family.gemma3.Gemma3Tokenizer

/**
 * A request's prompts as Gemma encodes them: the prompt, and the negative prompt when classifier-free guidance needs
 * one, each laid out as stable-diffusion.cpp lays it out ([Gemma3Prompt]). Prompts of one length (every prompt under
 * 1024 tokens) share one encoder graph, whose stack keeps as many of the last tokens as the longest of them has.
 *
 * @param tokenize a text's tokens without `<bos>` ([Gemma3Prompt] adds it)
 */
class Ltx2TextPrompts(private val tokenize: (String) -> IntArray) {
    /** The prompts as Gemma's [tokenizer] tokenizes them. */
    constructor(tokenizer: Gemma3Tokenizer) : this({ tokenizer.encode(it, addSpecialTokens = false).toIntArray() })

    /**
     * The last request's prompts by text: planning and running a request lay them out many times (its graphs, the
     * contexts' length, the tuning key), and a long prompt takes Gemma's tokenizer a while.
     */
    private var laidOut: Map<String, Gemma3Prompt> = emptyMap()

    /** The texts a request encodes, in the order the conditioning lists their contexts. */
    fun texts(request: GenerationRequest): List<String> =
        if (request.cfgScale() != 1.0) listOf(request.prompt(), request.negativePrompt()) else listOf(request.prompt())

    fun of(request: GenerationRequest): List<Gemma3Prompt> {
        val texts = texts(request)
        if (!laidOut.keys.containsAll(texts)) laidOut = texts.associateWith { laidOut[it] ?: Gemma3Prompt.of(tokenize(it)) }
        return texts.map { laidOut.getValue(it) }
    }

    /** Prompts encoded by one graph: their common length, and how many of the last tokens its stack keeps. */
    data class Group(val tokens: Int, val kept: Int)

    fun groupOf(prompt: Gemma3Prompt, all: List<Gemma3Prompt>): Group =
        Group(prompt.ids.size, all.filter { it.ids.size == prompt.ids.size }.maxOf { it.valid })

    fun groups(prompts: List<Gemma3Prompt>): List<Group> = prompts.map { groupOf(it, prompts) }.distinct()
}
