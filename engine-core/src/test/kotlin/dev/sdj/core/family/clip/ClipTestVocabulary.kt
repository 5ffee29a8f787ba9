package dev.sdj.core.family.clip

import org.junit.jupiter.api.Assertions.fail
import java.nio.file.Files
import java.nio.file.Path

/**
 * OpenAI's real CLIP vocabulary file, read from the shared data folder (never copied into the project). Tests that
 * need it fail, rather than skip, when it is missing: the exact-id checks are the point of them.
 */
internal object ClipTestVocabulary {
    private const val NAME = "bpe_simple_vocab_16e6.txt.gz"

    val file: Path by lazy {
        listOf(Path.of("../../shared/data/clip", NAME), Path.of("/work/shared/data/clip", NAME))
            .firstOrNull { Files.isRegularFile(it) }
            ?: fail("OpenAI's CLIP vocabulary $NAME is not in ../../shared/data/clip or /work/shared/data/clip")
    }

    val vocabulary: ClipVocabulary by lazy { ClipVocabulary.fromOpenAiFile(file) }

    val tokenizer: ClipTokenizer by lazy { ClipTokenizer(vocabulary) }
}
