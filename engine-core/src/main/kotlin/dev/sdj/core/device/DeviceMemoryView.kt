package dev.sdj.core.device

import dev.sdj.api.DeviceInfo
import dev.sdj.api.DeviceReport
import dev.sdj.api.MemoryFigure
import dev.sdj.vulkan.VulkanDevice
import dev.sdj.vulkan.VulkanDeviceType
import dev.sdj.vulkan.VulkanReport
import java.util.Optional

/**
 * Reconciles ggml's view of each device with the Vulkan driver's and decides which figure is the usable budget.
 *
 * The rules, most trusted first:
 * - a Vulkan device whose driver has `VK_EXT_memory_budget`: budget − usage of its device-local heaps, which already
 *   accounts for other programs;
 * - a Vulkan device that shares system memory (integrated, CPU-type such as lavapipe) without the extension: the
 *   device-local heap size is only an upper bound, so the budget is the smaller of it and the host's available
 *   memory;
 * - a discrete Vulkan device without the extension: the heap size, an upper bound that cannot see other programs;
 * - everything else (CPU, CUDA, Vulkan when the probe could not run): ggml's own free figure.
 */
object DeviceMemoryView {

    fun reconcile(
        ggmlVersion: String,
        nativesOrigin: String,
        ggmlDevices: List<GgmlDeviceFacts>,
        unavailableBackends: List<DeviceReport.Unavailable>,
        vulkan: VulkanReport,
        system: SystemMemory,
    ): DeviceReport {
        val unmatched = vulkan.devices().toMutableList()
        val devices = ggmlDevices.map { facts ->
            val match = if (facts.backend == "Vulkan") takeMatch(unmatched, facts) else null
            describe(facts, match, vulkan, system)
        }
        val hidden = unmatched.map { vk ->
            DeviceReport.Unavailable(
                "${vk.name()} (Vulkan ${vk.type().word()})",
                if (vk.type() == VulkanDeviceType.CPU)
                    "ggml hides CPU-type Vulkan devices; set GGML_VK_VISIBLE_DEVICES=${vk.index()} to use it"
                else
                    "visible to the Vulkan driver but not to ggml (GGML_VK_VISIBLE_DEVICES excludes it, or ggml's Vulkan backend is absent)",
            )
        }
        return DeviceReport(ggmlVersion, nativesOrigin, devices, unavailableBackends, hidden, vulkan.unavailableReason())
    }

    /** ggml names Vulkan devices by the driver's device name; equal names are matched in enumeration order. */
    private fun takeMatch(candidates: MutableList<VulkanDevice>, facts: GgmlDeviceFacts): VulkanDevice? {
        val i = candidates.indexOfFirst { it.name() == facts.description }
        return if (i >= 0) candidates.removeAt(i) else null
    }

    private fun describe(facts: GgmlDeviceFacts, vk: VulkanDevice?, vulkan: VulkanReport, system: SystemMemory): DeviceInfo {
        val ggmlTotal = MemoryFigure(facts.totalBytes, "ggml")
        val ggmlFree = MemoryFigure(facts.freeBytes, "ggml")
        val driver = vk?.driverName()?.map { name -> vk.driverInfo().map { "$name $it" }.orElse(name) } ?: Optional.empty()
        val vulkanType = Optional.ofNullable(vk?.type()?.word())
        if (vk == null) {
            val reason = when {
                facts.backend == "CPU" -> "system memory available to new allocations, as ggml reads it"
                facts.backend == "Vulkan" && !vulkan.available() ->
                    "ggml's figure; the Vulkan probe could not run (${vulkan.unavailableReason().orElse("")})"
                facts.backend == "Vulkan" -> "ggml's figure; no Vulkan device named '${facts.description}' was found by the probe"
                else -> "free memory as the ${facts.backend} driver reports it through ggml"
            }
            return DeviceInfo(facts.backend, facts.name, facts.description, facts.type, vulkanType, driver,
                ggmlTotal, ggmlFree, MemoryFigure(facts.freeBytes, "ggml"), reason)
        }
        val heapTotal = MemoryFigure(vk.deviceLocalBytes(), "Vulkan device-local heaps")
        val budgetLeft = vk.deviceLocalBudgetLeft()
        if (budgetLeft.isPresent) {
            return DeviceInfo(facts.backend, facts.name, facts.description, facts.type, vulkanType, driver,
                heapTotal, ggmlFree, MemoryFigure(budgetLeft.get(), "VK_EXT_memory_budget"),
                "the driver's budget minus current usage of the device-local heaps, which counts other programs")
        }
        val sharesSystemMemory = vk.type() == VulkanDeviceType.INTEGRATED || vk.type() == VulkanDeviceType.CPU
        return if (sharesSystemMemory) {
            val cap = minOf(vk.deviceLocalBytes(), system.availableBytes)
            DeviceInfo(facts.backend, facts.name, facts.description, facts.type, vulkanType, driver,
                heapTotal, ggmlFree,
                MemoryFigure(cap, "min(Vulkan heap size, /proc/meminfo MemAvailable)"),
                "no VK_EXT_memory_budget, so the heap size is only an upper bound; the device shares system memory, " +
                    "so it is capped by what the host has available")
        } else {
            DeviceInfo(facts.backend, facts.name, facts.description, facts.type, vulkanType, driver,
                heapTotal, ggmlFree, MemoryFigure(vk.deviceLocalBytes(), "Vulkan heap size"),
                "no VK_EXT_memory_budget: the heap size is an upper bound that cannot see other programs' usage; " +
                    "cap it with a budget option if the card is shared")
        }
    }
}
