package dev.sdj.core.scheduler

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import dev.sdj.api.EngineConfig
import dev.sdj.core.pipeline.GuidanceBatch
import dev.sdj.ggml.CacheTemps
import dev.sdj.ggml.NativesDirectory
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import org.slf4j.LoggerFactory

/**
 * The placements `tune` measured fastest, by key (device, model files, request shape), in one JSON file in the
 * user's cache. A missing or unreadable file is an empty cache, and an invalid entry (hand-edited, or written by
 * another version) a missing one: tuning is an optimisation, never a reason to fail.
 */
class TuneCache(val file: Path) {

    /**
     * The stored choice: a placement (streamed with [residentBlocks]), whether guidance was batched ([cfgBatch] "on" or
     * "off"; null where tune did not try both), and what each trial took per step.
     */
    data class Entry(val placement: String, val residentBlocks: Int, val secondsPerStep: Map<String, Double>, val measuredAt: String,
                     val cfgBatch: String? = null)

    /** The entry stored under [key]; null when there is none or it is not one `tune` could have written. */
    fun get(key: String): Entry? {
        val node = read().get(key) as? ObjectNode ?: return null
        val placement = node.get("placement")?.takeIf { it.isTextual }?.asText()?.takeIf { it in Planner.ORDER } ?: return null
        val residentBlocks = node.get("residentBlocks")?.takeIf { it.isInt && it.intValue() >= 0 }?.intValue() ?: return null
        val measuredAt = node.get("measuredAt")?.takeIf { it.isTextual }?.asText() ?: return null
        val cfgBatch = node.get("cfgBatch")?.let { b -> b.takeIf { it.isTextual }?.asText()?.takeIf { it in CFG_BATCHES } ?: return null }
        val times = node.get("secondsPerStep") as? ObjectNode ?: return null
        val secondsPerStep = LinkedHashMap<String, Double>()
        for ((k, v) in times.properties()) {
            if (!v.isNumber || !v.asDouble().isFinite() || v.asDouble() < 0) return null
            secondsPerStep[k] = v.asDouble()
        }
        return Entry(placement, residentBlocks, secondsPerStep, measuredAt, cfgBatch)
    }

    /** Stores [entry] under [key]; the file is replaced whole (written beside it, then moved), never left half-written. */
    fun put(key: String, entry: Entry) {
        val root = read()
        val node = root.putObject(key)
        node.put("placement", entry.placement)
        node.put("residentBlocks", entry.residentBlocks)
        val times = node.putObject("secondsPerStep")
        entry.secondsPerStep.forEach { (k, v) -> times.put(k, v) }
        node.put("measuredAt", entry.measuredAt)
        entry.cfgBatch?.let { node.put("cfgBatch", it) }
        try {
            val dir = file.toAbsolutePath().parent
            Files.createDirectories(dir)
            CacheTemps.sweep(dir, TEMP_KIND)
            val tmp = Files.createTempFile(dir, CacheTemps.prefix(TEMP_KIND), ".json")
            try {
                MAPPER.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root)
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE)
            } finally {
                Files.deleteIfExists(tmp)
            }
        } catch (e: IOException) {
            throw IOException("cannot write the tuning cache $file: ${e.message}", e)
        }
    }

    private fun read(): ObjectNode = try {
        if (Files.isRegularFile(file)) MAPPER.readTree(file.toFile()) as? ObjectNode ?: MAPPER.createObjectNode() else MAPPER.createObjectNode()
    } catch (e: IOException) {
        LOG.warn("ignoring the unreadable tuning cache {} ({})", file, e.toString())
        MAPPER.createObjectNode()
    }

    companion object {
        private val LOG = LoggerFactory.getLogger(TuneCache::class.java)
        private val MAPPER = ObjectMapper()
        private const val TEMP_KIND = "tune"
        private val CFG_BATCHES = setOf(GuidanceBatch.ON, GuidanceBatch.OFF)

        /** `-Dsdj.tune.file`, else `tune.json` in sdj's cache directory (SDJ_CACHE_DIR, XDG_CACHE_HOME/sdj, ~/.cache/sdj). */
        fun default(): TuneCache =
            TuneCache(System.getProperty("sdj.tune.file")?.let { Path.of(it) } ?: NativesDirectory.defaultCacheRoot().resolve("tune.json"))

        /** `tune.json` in [config]'s cache directory when it names one, else [default]. */
        fun of(config: EngineConfig): TuneCache = config.cacheDirectory().map { TuneCache(it.resolve("tune.json")) }.orElseGet(::default)
    }
}
