package dev.sdj.core.family.gemma3

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.TokenizerSource

/**
 * The Gemma-3 vocabulary an LTX-2 model brings for its text encoder: the tokenizer.json the user passed (--tokenizer),
 * else the one beside the Gemma safetensors (a Hugging Face folder, or a diffusers release's tokenizer/), else the
 * Gemma GGUF's tokenizer metadata. The engine ships none, so a model without one is refused with what to pass.
 */
object Gemma3ModelVocabulary {
    const val OPTION = "--tokenizer"

    fun of(model: AssembledModel): Gemma3Vocabulary = when (val source = model.tokenizers[ComponentKind.TEXT_ENCODER]) {
        is TokenizerSource.GemmaJson -> Gemma3Vocabulary.fromTokenizerJson(source.file)
        is TokenizerSource.GemmaGgufMetadata -> Gemma3Vocabulary.fromGguf(model.gguf(source.file)
            ?: throw IllegalStateException("${source.file} is not among the model's inputs"))
        else -> throw InvalidRequestException("the model carries no tokenizer for its Gemma-3 text encoder: pass the " +
            "llama.cpp GGUF of Gemma-3 12B (its metadata holds the vocabulary), or $OPTION with the tokenizer.json of " +
            "google/gemma-3-12b-it (or the folder holding it)")
    }
}
