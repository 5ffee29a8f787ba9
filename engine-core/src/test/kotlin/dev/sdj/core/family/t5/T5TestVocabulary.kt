package dev.sdj.core.family.t5

import org.junit.jupiter.api.Assertions.fail
import java.nio.file.Files
import java.nio.file.Path

/**
 * The real T5 v1.1 tokenizer.json (Apache-2.0), read from the shared data folder and never copied into the project.
 * Tests that need it fail, rather than skip, when it is missing: the exact ids are the point of them.
 */
internal object T5TestVocabulary {
    private const val NAME = "tokenizer.json"

    val file: Path by lazy {
        listOf(Path.of("../../shared/data/t5", NAME), Path.of("/work/shared/data/t5", NAME))
            .firstOrNull { Files.isRegularFile(it) }
            ?: fail("T5's $NAME is not in ../../shared/data/t5 or /work/shared/data/t5")
    }

    val vocabulary: T5Vocabulary by lazy { T5Vocabulary.fromTokenizerJson(file) }

    val tokenizer: T5Tokenizer by lazy { T5Tokenizer(vocabulary) }
}
