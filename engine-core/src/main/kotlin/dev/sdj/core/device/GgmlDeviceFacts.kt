package dev.sdj.core.device

import dev.sdj.ggml.Device

/** What ggml says about one device, read once so the reconciliation below is plain data in, data out. */
data class GgmlDeviceFacts(
    val backend: String,
    val name: String,
    val description: String,
    val type: String,
    val totalBytes: Long,
    val freeBytes: Long,
) {
    companion object {
        fun of(device: Device): GgmlDeviceFacts {
            val memory = device.memory()
            return GgmlDeviceFacts(
                backend = device.backendName(),
                name = device.name(),
                description = device.description(),
                type = device.type().name.lowercase(),
                totalBytes = memory.total(),
                freeBytes = memory.free(),
            )
        }
    }
}
