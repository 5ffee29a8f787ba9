package dev.sdj.core.device

import java.nio.file.Files
import java.nio.file.Path

/** The host's memory as the kernel reports it; shared-memory devices (iGPUs, lavapipe) draw on the same pool. */
data class SystemMemory(val totalBytes: Long, val availableBytes: Long) {
    companion object {
        /** Reads /proc/meminfo; MemAvailable counts reclaimable cache, which is what a new allocation can get. */
        fun read(meminfo: Path = Path.of("/proc/meminfo")): SystemMemory {
            val fields = Files.readAllLines(meminfo).mapNotNull { line ->
                val parts = line.split(Regex("\\s+"))
                if (parts.size >= 2) parts[0].removeSuffix(":") to parts[1].toLongOrNull() else null
            }.toMap()
            val total = fields["MemTotal"] ?: error("$meminfo has no MemTotal")
            val available = fields["MemAvailable"] ?: fields["MemFree"] ?: error("$meminfo has no MemAvailable")
            return SystemMemory(total * 1024, available * 1024)
        }
    }
}
