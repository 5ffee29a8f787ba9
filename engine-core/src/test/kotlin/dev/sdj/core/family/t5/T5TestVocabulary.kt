package dev.sdj.core.family.t5

import dev.sdj.core.SharedTestData
import java.nio.file.Path

/**
 * The real T5 v1.1 tokenizer.json (Apache-2.0), read from the shared data folder and never copied into the project.
 * Tests that need it fail, rather than skip, when it is missing: the exact ids are the point of them.
 */
internal object T5TestVocabulary {
    private const val NAME = "tokenizer.json"

    val file: Path by lazy { SharedTestData.file("t5", NAME, "T5's tokenizer") }

    val vocabulary: T5Vocabulary by lazy { T5Vocabulary.fromTokenizerJson(file) }

    val tokenizer: T5Tokenizer by lazy { T5Tokenizer(vocabulary) }
}
