package dev.sdj.core.device

import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class PhysicalCoresTest {
    private fun entry(proc: Int, physical: Int, core: Int) =
        "processor\t: $proc\nphysical id\t: $physical\ncore id\t\t: $core\n\n"

    @Test
    fun `hyperthread siblings count once`(@TempDir dir: Path) {
        val file = dir.resolve("cpuinfo")
        Files.writeString(file, entry(0, 0, 0) + entry(1, 0, 1) + entry(2, 0, 0) + entry(3, 0, 1))
        val expected = minOf(2, Runtime.getRuntime().availableProcessors())
        assertEquals(expected, PhysicalCores.count(file))
    }

    @Test
    fun `missing core ids fall back to the logical count`(@TempDir dir: Path) {
        val file = dir.resolve("cpuinfo")
        Files.writeString(file, "processor\t: 0\n\nprocessor\t: 1\n\n")
        assertEquals(Runtime.getRuntime().availableProcessors(), PhysicalCores.count(file))
    }

    @Test
    fun `cpu backends open with a thread count and reject a bad one`() {
        ComputeBackends.open(Ggml.get().cpu()).use { assertTrue(it.isOpen) }
        assertThrows(IllegalArgumentException::class.java) { ComputeBackends.open(Ggml.get().cpu(), 0) }
    }
}
