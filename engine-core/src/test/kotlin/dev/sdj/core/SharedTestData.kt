package dev.sdj.core

import org.junit.jupiter.api.Assertions.fail
import java.nio.file.Files
import java.nio.file.Path

/**
 * Third-party data the tests read from the shared data folder beside the project (never copied into it). Tests that
 * need a file fail, rather than skip, when it is missing: the exact ids are the point of them.
 */
internal object SharedTestData {
    private val ROOTS = listOf(Path.of("../../shared/data"), Path.of("/work/shared/data"))

    /** [folder]/[name] under the first root holding it; [what] names it in the failure. */
    fun file(folder: String, name: String, what: String): Path =
        ROOTS.map { it.resolve(folder).resolve(name) }.firstOrNull { Files.isRegularFile(it) }
            ?: fail("$what ($name) is not in ${ROOTS.joinToString(" or ") { "$it/$folder" }}")
}
