package dev.sdj.core.family.clip

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.TokenizerSource

/**
 * The CLIP vocabulary a model brings for its first text encoder: its tokenizer files, else a GGUF's tokenizer
 * metadata. The engine ships none for real models, so a model without one is refused with what to pass.
 */
object ModelVocabulary {
    fun of(model: AssembledModel): ClipVocabulary {
        val source = model.tokenizers[ComponentKind.TEXT_ENCODER]
            ?: throw InvalidRequestException("the model carries no tokenizer: pass --tokenizer with a folder holding vocab.json " +
                "and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz")
        // The GGUF the source names: a Flux model's T5 GGUF carries tokens too, T5's.
        val gguf = (source as? TokenizerSource.GgufMetadata)?.let { model.gguf(it.file) }
        return ClipVocabulary.load(source, gguf?.values?.get("tokenizer.ggml.tokens")?.asStringList(),
            gguf?.values?.get("tokenizer.ggml.merges")?.asStringList())
    }
}
