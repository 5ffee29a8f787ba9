package dev.sdj.core.image

import dev.sdj.ggml.testlog.RecordedLog
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import org.slf4j.event.Level

class ModelHashCacheTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `a file is hashed once while its size and time stay`() {
        val model = dir.resolve("m.safetensors").also { Files.writeString(it, "abc") }
        val cache = ModelHashCache(dir.resolve("cache/hashes.tsv"))
        assertEquals("ba7816bf8f", cache.hash(model))
        // Same size and time, other bytes: only a cached hash still says "abc".
        val time = Files.getLastModifiedTime(model)
        Files.writeString(model, "xyz")
        Files.setLastModifiedTime(model, time)
        assertEquals("ba7816bf8f", ModelHashCache(dir.resolve("cache/hashes.tsv")).hash(model))
    }

    @Test
    fun `a changed file is hashed again`() {
        val model = dir.resolve("m.safetensors").also { Files.writeString(it, "abc") }
        val cache = ModelHashCache(dir.resolve("hashes.tsv"))
        cache.hash(model)
        Files.writeString(model, "abcd")
        assertEquals(modelHash(model), cache.hash(model))
        assertEquals(1, Files.readAllLines(dir.resolve("hashes.tsv")).size, "one entry per file")
    }

    @Test
    fun `entries of deleted files are dropped`() {
        val gone = dir.resolve("gone.safetensors").also { Files.writeString(it, "abc") }
        val kept = dir.resolve("kept.safetensors").also { Files.writeString(it, "abcd") }
        val cache = ModelHashCache(dir.resolve("hashes.tsv"))
        cache.hash(gone)
        Files.delete(gone)
        cache.hash(kept)
        assertEquals(listOf(kept.toString()), Files.readAllLines(dir.resolve("hashes.tsv")).map { it.substringBefore('\t') })
    }

    @Test
    fun `a damaged or unwritable cache only costs a re-hash`() {
        val model = dir.resolve("m.safetensors").also { Files.writeString(it, "abc") }
        val damaged = dir.resolve("hashes.tsv").also { Files.writeString(it, "garbage\n\u0000\t\t\n") }
        assertEquals("ba7816bf8f", ModelHashCache(damaged).hash(model))
        val notADirectory = Files.writeString(dir.resolve("file"), "x")
        assertEquals("ba7816bf8f", ModelHashCache(notADirectory.resolve("hashes.tsv")).hash(model))
    }

    @Test
    fun `a cache that cannot be written is logged as a warning naming the file`() {
        val model = dir.resolve("m.safetensors").also { Files.writeString(it, "abc") }
        val notADirectory = Files.writeString(dir.resolve("plain-file"), "x")
        val cacheFile = notADirectory.resolve("hashes.tsv")
        ModelHashCache(cacheFile).hash(model)
        val warnings = RecordedLog.of(ModelHashCache::class.java.name).filter { it.level() == Level.WARN }
        assertTrue(warnings.any { it.message().startsWith("cannot write the model-hash cache $cacheFile") }, warnings.toString())
    }
}
