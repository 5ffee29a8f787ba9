package dev.sdj.core.registry

import dev.sdj.api.EngineException
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.attribute.FileTime
import java.time.Instant

class DefaultModelTest {
    @Test
    fun `a temporary model left by a killed first run is removed by the next`(@TempDir cache: Path) {
        val gone = ProcessBuilder("true").start().also { it.waitFor() }.pid()
        val leftover = Files.createDirectories(cache.resolve("models")).resolve(".${DefaultModel.TEMP_KIND}.$gone.1.gguf")
        Files.writeString(leftover, "half a model")
        Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minusSeconds(120)))
        val model = DefaultModel.path(cache)
        assertFalse(Files.exists(leftover))
        assertTrue(Files.isRegularFile(model))
        Files.list(model.parent).use { assertTrue(it.toList() == listOf(model), "only the model is left") }
    }

    @Test
    fun `an unwritable cache directory is named with what to do`(@TempDir dir: Path) {
        val notADirectory = Files.writeString(dir.resolve("file"), "x")
        val e = assertThrows<EngineException> { DefaultModel.path(notADirectory.resolve("cache")) }
        assertTrue(e.message!!.startsWith("cannot write the built-in tiny model into ${notADirectory.resolve("cache/models")}"), e.message)
        assertTrue(e.message!!.endsWith("set SDJ_CACHE_DIR to a writable directory"), e.message)
    }
}
