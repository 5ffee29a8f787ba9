package dev.sdj.core.device

import dev.sdj.api.DeviceReport
import dev.sdj.api.EngineException
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException
import dev.sdj.vulkan.VulkanProbe

/** Builds the device report from the live process: ggml's devices, the Vulkan probe and the host's memory. */
object Devices {
    @JvmStatic
    fun report(): DeviceReport {
        val ggml = try {
            Ggml.get()
        } catch (e: GgmlException) {
            throw EngineException("ggml is not usable: ${e.message}", e)
        }
        return DeviceMemoryView.reconcile(
            ggmlVersion = ggml.version(),
            nativesOrigin = ggml.natives().origin() + " in " + ggml.natives().path(),
            ggmlDevices = ggml.devices().map(GgmlDeviceFacts::of),
            unavailableBackends = ggml.absentBackends().map { DeviceReport.Unavailable(it.name(), it.reason()) },
            vulkan = VulkanProbe.probe(),
            system = SystemMemory.read(),
        )
    }
}
