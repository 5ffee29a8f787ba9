package dev.sdj.core.device

import java.nio.file.Files
import java.nio.file.Path

/**
 * Physical core count, the default CPU thread count: ggml's CPU kernels gain little from SMT siblings and lose to
 * oversubscription, so one thread per physical core is the safe default.
 */
object PhysicalCores {
    /** Distinct (physical id, core id) pairs in /proc/cpuinfo; the logical count when those fields are missing. */
    fun count(cpuinfo: Path = Path.of("/proc/cpuinfo")): Int {
        val logical = Runtime.getRuntime().availableProcessors()
        if (!Files.isReadable(cpuinfo)) return logical
        val cores = HashSet<Pair<String, String>>()
        var physical = "0"
        var core: String? = null
        for (line in Files.readAllLines(cpuinfo)) {
            val key = line.substringBefore(':').trim()
            val value = line.substringAfter(':', "").trim()
            when (key) {
                "physical id" -> physical = value
                "core id" -> core = value
                "" -> {
                    core?.let { cores.add(physical to it) }
                    core = null
                }
            }
        }
        core?.let { cores.add(physical to it) }
        // A container's CPU quota can be below the host's core count: never exceed what the JVM may use.
        return if (cores.isEmpty()) logical else minOf(cores.size, logical)
    }
}
