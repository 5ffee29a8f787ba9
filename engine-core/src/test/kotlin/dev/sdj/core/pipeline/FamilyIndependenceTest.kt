package dev.sdj.core.pipeline

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.nio.file.Path

/**
 * The engine, the scheduler and the contract between them and the families must not name a family: every family
 * gets placement, streaming, residency and tuning through [GenerationPipeline] alone, and is registered in one place.
 */
class FamilyIndependenceTest {
    private val root: Path = Path.of("src/main/kotlin/dev/sdj/core")

    private fun imports(pkg: String): Map<Path, List<String>> {
        val dir = root.resolve(pkg)
        assertTrue(Files.isDirectory(dir), "no sources at ${dir.toAbsolutePath()}")
        return Files.walk(dir).use { files ->
            files.filter { it.toString().endsWith(".kt") }.toList().associateWith { file ->
                Files.readAllLines(file).filter { it.startsWith("import ") }.map { it.removePrefix("import ").trim() }
            }
        }
    }

    @Test
    fun `no file of the engine, the scheduler, memory, graphs or the pipeline contract imports a family package`() {
        for (pkg in listOf("engine", "scheduler", "pipeline", "memory", "graph")) {
            val offending = imports(pkg).mapValues { (_, list) -> list.filter { it.startsWith("dev.sdj.core.family") } }.filterValues { it.isNotEmpty() }
            assertEquals(emptyMap<Path, List<String>>(), offending, "$pkg imports family code")
        }
    }

    @Test
    fun `the engine reaches families only through the registry`() {
        // The provider takes the demo model's path from the registry too; only the engine opens a family's pipeline.
        val users = imports("engine").filterValues { list -> list.any { it == "dev.sdj.core.registry.Families" } }.keys.map { it.fileName.toString() }
        assertEquals(listOf("SdjEngine.kt"), users)
    }
}
