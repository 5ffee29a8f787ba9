package dev.sdj.core.device

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

class SystemMemoryTest {
    @Test
    fun `reads total and available bytes from meminfo`(@TempDir dir: Path) {
        val file = dir.resolve("meminfo")
        Files.writeString(file, "MemTotal:       16000 kB\nMemFree:         1000 kB\nMemAvailable:    8000 kB\n")
        assertEquals(SystemMemory(16000 * 1024L, 8000 * 1024L), SystemMemory.read(file))
    }
}
