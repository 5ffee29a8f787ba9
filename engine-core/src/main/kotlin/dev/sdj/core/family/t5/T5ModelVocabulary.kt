package dev.sdj.core.family.t5

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.TokenizerSource

/**
 * The T5 vocabulary a model brings for its second text encoder (Flux's T5-XXL): the tokenizer file the user passed,
 * else the model's tokenizer_2/ folder, else the T5 GGUF's tokenizer metadata. The engine ships none, so a model
 * without one is refused with what to get and how to pass it.
 */
object T5ModelVocabulary {
    const val OPTION = "--t5-tokenizer"

    fun of(model: AssembledModel): T5Vocabulary = when (val source = model.tokenizers[ComponentKind.TEXT_ENCODER_2]) {
        is TokenizerSource.T5File -> T5TokenizerFiles.load(source.file)
        is TokenizerSource.T5GgufMetadata -> T5Vocabulary.fromGguf(model.gguf(source.file)
            ?: throw IllegalStateException("${source.file} is not among the model's inputs"), source.keyPrefix)
        else -> throw InvalidRequestException("the model carries no tokenizer for its T5 text encoder (${ComponentKind.TEXT_ENCODER_2.label}): " +
            "pass $OPTION with the tokenizer.json of google/t5-v1_1-xxl, or with the tokenizer_2/ folder (tokenizer.json or " +
            "spiece.model) of the FLUX.1-dev or FLUX.1-schnell repository")
    }
}
