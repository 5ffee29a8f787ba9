package dev.sdj.core.device

import dev.sdj.ggml.Backend
import dev.sdj.ggml.Device
import dev.sdj.ggml.DeviceType

/** Opens backends with the engine's settings applied: CPU backends always get an explicit thread count. */
object ComputeBackends {
    /** @param threads CPU worker threads, capped at the processors available; null means one per physical core */
    @JvmStatic
    @JvmOverloads
    fun open(device: Device, threads: Int? = null): Backend {
        val backend = device.open()
        if (device.type() == DeviceType.CPU) {
            try {
                backend.setThreads(CpuThreads.effective(threads))
            } catch (e: RuntimeException) {
                backend.close()
                throw e
            }
        }
        return backend
    }
}
