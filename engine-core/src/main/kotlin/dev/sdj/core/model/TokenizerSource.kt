package dev.sdj.core.model

import java.nio.file.Path

/** Where a text encoder's tokenizer comes from; the engine never ships a vocabulary of its own for real models. */
sealed interface TokenizerSource {
    val description: String

    /** Hugging Face / diffusers files: vocab.json and merges.txt. */
    data class VocabAndMerges(val vocab: Path, val merges: Path) : TokenizerSource {
        override val description get() = "vocab.json + merges.txt in ${vocab.parent}"
    }

    /** OpenAI's original CLIP file (bpe_simple_vocab_16e6.txt.gz): merges only, the vocabulary derives from it. */
    data class OpenAiBpe(val file: Path) : TokenizerSource {
        override val description get() = "OpenAI CLIP BPE file $file"
    }

    /** tokenizer.ggml.tokens / tokenizer.ggml.merges in a GGUF file's metadata. */
    data class GgufMetadata(val file: Path, val tokenCount: Int, val mergeCount: Int) : TokenizerSource {
        override val description get() = "GGUF metadata of $file ($tokenCount tokens, $mergeCount merges)"
    }
}
