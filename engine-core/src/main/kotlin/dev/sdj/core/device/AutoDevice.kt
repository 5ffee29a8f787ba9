package dev.sdj.core.device

import dev.sdj.api.DeviceInfo
import java.util.Locale

/**
 * The device a request that names none runs on: among the real GPUs of every ggml backend present (CUDA, ROCm/HIP,
 * SYCL, Vulkan, ...), the one with the largest memory budget, since the budget decides how much stays resident. One
 * card seen by two backends (CUDA and Vulkan) has the same budget in both: then the vendor's own backend wins over
 * Vulkan, being the one tuned for it. Software rasterisers (lavapipe) and accelerators that only assist the CPU are no
 * GPUs; without a GPU the CPU runs.
 */
object AutoDevice {
    /** The chosen device's ggml name and why it was chosen; null from [choose] means: the CPU, there being no GPU. */
    data class Choice(val device: String, val why: String)

    fun choose(devices: List<DeviceInfo>): Choice? {
        val gpus = devices.filter(::isRealGpu)
        val best = gpus.sortedWith(compareByDescending<DeviceInfo> { it.budget().bytes() }.thenBy { it.backend() == "Vulkan" })
            .firstOrNull() ?: return null
        val others = gpus.filter { it !== best }
        val why = if (others.isEmpty()) {
            "${describe(best)} is the only GPU"
        } else {
            val tie = others.filter { it.budget().bytes() == best.budget().bytes() }
            "${describe(best)} has the largest budget among the GPUs (${gib(best)}; " +
                others.joinToString { "${it.name()} ${gib(it)}" } + ")" +
                (if (tie.isEmpty()) "" else "; as large as ${tie.joinToString { it.name() }}'s, and ${best.backend()} is preferred to Vulkan")
        }
        return Choice(best.name(), why)
    }

    /** A GPU that computes on its own, not a CPU-type Vulkan device such as lavapipe. */
    @JvmStatic
    fun isRealGpu(d: DeviceInfo): Boolean =
        (d.type() == "gpu" || d.type() == "igpu") && d.vulkanType().orElse("") != "cpu" && !d.description().startsWith("llvmpipe")

    private fun describe(d: DeviceInfo) = "${d.name()} (${d.description()}, ${d.backend()})"

    private fun gib(d: DeviceInfo) = String.format(Locale.ROOT, "%.1f GiB", d.budget().bytes() / (1024.0 * 1024 * 1024))
}
