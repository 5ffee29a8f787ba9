package dev.sdj.core.scheduler

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class TuneCacheTest {

    private fun cacheHolding(dir: Path, entry: String): TuneCache {
        val file = dir.resolve("tune.json")
        Files.writeString(file, """{ "key": $entry }""")
        return TuneCache(file)
    }

    @Test
    fun `an entry with an unknown placement is ignored instead of reaching the planner`(@TempDir dir: Path) {
        val cache = cacheHolding(dir,
            """{ "placement": "warp", "residentBlocks": 3, "secondsPerStep": { "warp": 0.1 }, "measuredAt": "2026-01-01" }""")
        assertNull(cache.get("key"))
    }

    @Test
    fun `entries with missing or mistyped fields are ignored`(@TempDir dir: Path) {
        val invalid = listOf(
            """{ "residentBlocks": 0, "secondsPerStep": {}, "measuredAt": "x" }""",
            """{ "placement": 7, "residentBlocks": 0, "secondsPerStep": {}, "measuredAt": "x" }""",
            """{ "placement": "streamed", "residentBlocks": -1, "secondsPerStep": {}, "measuredAt": "x" }""",
            """{ "placement": "streamed", "residentBlocks": "2", "secondsPerStep": {}, "measuredAt": "x" }""",
            """{ "placement": "resident", "residentBlocks": 0, "secondsPerStep": [1.0], "measuredAt": "x" }""",
            """{ "placement": "resident", "residentBlocks": 0, "secondsPerStep": { "resident": "fast" }, "measuredAt": "x" }""",
            """{ "placement": "resident", "residentBlocks": 0, "secondsPerStep": { "resident": 0.1 } }""",
            """{ "placement": "resident", "residentBlocks": 0, "secondsPerStep": {}, "measuredAt": "x", "cfgBatch": "maybe" }""",
            """[ "resident" ]""",
        )
        for (entry in invalid) assertNull(cacheHolding(dir, entry).get("key"), entry)
    }

    @Test
    fun `a valid entry is read back as stored`(@TempDir dir: Path) {
        val cache = TuneCache(dir.resolve("tune.json"))
        val entry = TuneCache.Entry("streamed", 4, mapOf("sequential" to 1.5, "streamed" to 1.25), "2026-01-01T00:00:00Z")
        cache.put("key", entry)
        assertEquals(entry, cache.get("key"))
        val batched = entry.copy(cfgBatch = "on")
        cache.put("batched", batched)
        assertEquals(batched, cache.get("batched"))
    }
}
