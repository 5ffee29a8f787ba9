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

    /** A SentencePiece unigram vocabulary for a T5 text encoder (Flux's second); CLIP's sources never serve it. */
    sealed interface T5 : TokenizerSource

    /** A Hugging Face tokenizer.json (Unigram model) or SentencePiece's spiece.model. */
    data class T5File(val file: Path) : T5 {
        override val description get() = "T5 tokenizer $file"
    }

    /**
     * tokenizer.ggml.* of a GGUF whose tokenizer.ggml.model is "t5", as llama.cpp's converter writes T5 files, or the
     * same keys behind [keyPrefix] (`text_encoders.t5xxl.` in a converted Flux file, whose CLIP tokenizer has the bare keys).
     */
    data class T5GgufMetadata(val file: Path, val tokenCount: Int, val keyPrefix: String = "") : T5 {
        override val description get() = "T5 tokenizer in the GGUF metadata of $file ($tokenCount pieces)"
    }

    /** A Gemma-3 vocabulary for LTX-2's text encoder; CLIP's and T5's sources never serve it, nor it them. */
    sealed interface Gemma : TokenizerSource

    /** A Hugging Face tokenizer.json (BPE with byte fallback), as google/gemma-3-* and LTX-2's tokenizer/ ship it. */
    data class GemmaJson(val file: Path) : Gemma {
        override val description get() = "Gemma-3 tokenizer $file"
    }

    /** tokenizer.ggml.* of a GGUF whose general.architecture is "gemma3", as llama.cpp writes Gemma-3 files. */
    data class GemmaGgufMetadata(val file: Path, val tokenCount: Int) : Gemma {
        override val description get() = "Gemma-3 tokenizer in the GGUF metadata of $file ($tokenCount tokens)"
    }
}
