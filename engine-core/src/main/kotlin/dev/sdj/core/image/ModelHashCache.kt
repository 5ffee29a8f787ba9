package dev.sdj.core.image

import dev.sdj.api.EngineConfig
import dev.sdj.ggml.CacheTemps
import dev.sdj.ggml.NativesDirectory
import java.io.IOException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.attribute.BasicFileAttributes
import org.slf4j.LoggerFactory

/**
 * [modelHash] per file, remembered so that a multi-gigabyte checkpoint is read once rather than on every run. An entry
 * is keyed by the file's absolute path, size and modification time, so a changed file is hashed again. One line per
 * file: path, size, time and hash separated by tabs. A missing, damaged or unwritable cache only costs a re-hash.
 */
class ModelHashCache(private val file: Path) {
    fun hash(model: Path): String {
        val attributes = Files.readAttributes(model, BasicFileAttributes::class.java)
        val path = model.toAbsolutePath().normalize().toString()
        val stamp = "${attributes.size()}$TAB${attributes.lastModifiedTime()}"
        val entries = read()
        entries[path]?.let { (cachedStamp, hash) -> if (cachedStamp == stamp) return hash }
        LOG.debug("hashing {} for the image's parameters (not in the hash cache yet)", model)
        val hash = modelHash(model)
        LOG.debug("hashed {}", model)
        // A tab or newline in the path would break the line format; such a file is simply hashed each time.
        if (TAB !in path && '\n' !in path) {
            entries[path] = stamp to hash
            write(entries)
        }
        return hash
    }

    private fun read(): MutableMap<String, Pair<String, String>> {
        val lines = try {
            Files.readAllLines(file)
        } catch (e: NoSuchFileException) {
            return LinkedHashMap()
        } catch (e: IOException) {
            LOG.warn("cannot read the model-hash cache {} ({}); models are hashed again", file, e.toString())
            return LinkedHashMap()
        }
        val entries = LinkedHashMap<String, Pair<String, String>>()
        for (line in lines) {
            val parts = line.split(TAB)
            if (parts.size == 4) entries[parts[0]] = "${parts[1]}$TAB${parts[2]}" to parts[3]
        }
        return entries
    }

    private fun write(entries: Map<String, Pair<String, String>>) {
        val dir = file.toAbsolutePath().parent
        try {
            Files.createDirectories(dir)
            CacheTemps.sweep(dir, TEMP_KIND)
            val tmp = Files.createTempFile(dir, CacheTemps.prefix(TEMP_KIND), ".tmp")
            try {
                // Entries of deleted files go, so that the cache does not grow with every model ever used.
                val kept = entries.filterKeys { Files.exists(Path.of(it)) }
                Files.write(tmp, kept.map { (path, value) -> "$path$TAB${value.first}$TAB${value.second}" })
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
            } finally {
                Files.deleteIfExists(tmp)
            }
        } catch (e: IOException) {
            LOG.warn("cannot write the model-hash cache {} ({}); the next run hashes the model again", file, e.toString())
        }
    }

    companion object {
        private val LOG = LoggerFactory.getLogger(ModelHashCache::class.java)
        private const val TAB = '\t'
        const val TEMP_KIND = "model-hashes"

        /** `-Dsdj.hash.file`, else `model-hashes.tsv` in sdj's cache directory. */
        fun default(): ModelHashCache = ModelHashCache(
            System.getProperty("sdj.hash.file")?.let { Path.of(it) } ?: NativesDirectory.defaultCacheRoot().resolve("model-hashes.tsv"))

        /** `model-hashes.tsv` in [config]'s cache directory when it names one, else [default]. */
        fun of(config: EngineConfig): ModelHashCache =
            config.cacheDirectory().map { ModelHashCache(it.resolve("model-hashes.tsv")) }.orElseGet(::default)
    }
}
