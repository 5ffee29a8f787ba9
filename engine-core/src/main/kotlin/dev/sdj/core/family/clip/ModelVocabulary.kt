package dev.sdj.core.family.clip

import dev.sdj.api.InvalidRequestException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.gguf.GgufFile

/**
 * The CLIP vocabulary a model brings for its first text encoder: its tokenizer files, else a GGUF's tokenizer
 * metadata. The engine ships none for real models, so a model without one is refused with what to pass.
 */
object ModelVocabulary {
    fun of(model: AssembledModel): ClipVocabulary {
        val source = model.tokenizers[ComponentKind.TEXT_ENCODER]
            ?: throw InvalidRequestException("the model carries no tokenizer: pass --tokenizer with a folder holding vocab.json " +
                "and merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz")
        val gguf = model.inputs.firstNotNullOfOrNull { it.tensors.firstOrNull()?.first as? GgufFile }
        return ClipVocabulary.load(source, gguf?.values?.get("tokenizer.ggml.tokens")?.asStringList(),
            gguf?.values?.get("tokenizer.ggml.merges")?.asStringList())
    }
}
