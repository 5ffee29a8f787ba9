package dev.sdj.core.family.clip

import dev.sdj.core.SharedTestData
import java.nio.file.Path

/**
 * OpenAI's real CLIP vocabulary file, read from the shared data folder (never copied into the project). Tests that
 * need it fail, rather than skip, when it is missing: the exact-id checks are the point of them.
 */
internal object ClipTestVocabulary {
    private const val NAME = "bpe_simple_vocab_16e6.txt.gz"

    val file: Path by lazy { SharedTestData.file("clip", NAME, "OpenAI's CLIP vocabulary") }

    val vocabulary: ClipVocabulary by lazy { ClipVocabulary.fromOpenAiFile(file) }

    val tokenizer: ClipTokenizer by lazy { ClipTokenizer(vocabulary) }
}
