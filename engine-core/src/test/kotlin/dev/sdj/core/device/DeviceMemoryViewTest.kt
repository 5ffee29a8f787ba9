package dev.sdj.core.device

import dev.sdj.api.DeviceReport
import dev.sdj.vulkan.MemoryHeap
import dev.sdj.vulkan.VulkanDevice
import dev.sdj.vulkan.VulkanDeviceType
import dev.sdj.vulkan.VulkanReport
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Optional
import java.util.OptionalLong

class DeviceMemoryViewTest {
    private val gib = 1L shl 30
    private val system = SystemMemory(totalBytes = 32 * gib, availableBytes = 6 * gib)
    private val cpu = GgmlDeviceFacts("CPU", "CPU", "Some CPU", "cpu", 32 * gib, 7 * gib)

    private fun vk(index: Int, name: String, type: VulkanDeviceType, heaps: List<MemoryHeap>) =
        VulkanDevice(index, name, type, 0, 0, "1.3.0", Optional.of("drv"), Optional.of("1.0"),
            heaps.any { it.budget().isPresent }, heaps)

    private fun heap(i: Int, size: Long, local: Boolean, budget: Long? = null, usage: Long? = null) =
        MemoryHeap(i, size, local,
            budget?.let { OptionalLong.of(it) } ?: OptionalLong.empty(),
            usage?.let { OptionalLong.of(it) } ?: OptionalLong.empty())

    private fun ggmlVulkan(name: String, description: String, type: String) =
        GgmlDeviceFacts("Vulkan", name, description, type, 8 * gib, 8 * gib)

    private fun reconcile(devices: List<GgmlDeviceFacts>, vulkan: VulkanReport) =
        DeviceMemoryView.reconcile("0.25.1", "test", devices, emptyList(), vulkan, system)

    @Test
    fun `discrete card with the budget extension plans with budget minus usage of device-local heaps`() {
        val card = vk(0, "Radeon RX 6600", VulkanDeviceType.DISCRETE, listOf(
            heap(0, 8 * gib, true, budget = 7 * gib, usage = 2 * gib),
            heap(1, 16 * gib, false, budget = 12 * gib, usage = gib)))
        val report = reconcile(listOf(cpu, ggmlVulkan("Vulkan0", "Radeon RX 6600", "gpu")),
            VulkanReport(listOf(card), Optional.empty()))
        val gpu = report.devices()[1]
        assertEquals(5 * gib, gpu.budget().bytes())
        assertEquals("VK_EXT_memory_budget", gpu.budget().source())
        assertEquals(8 * gib, gpu.total().bytes())
        assertEquals(Optional.of("discrete"), gpu.vulkanType())
    }

    @Test
    fun `shared-memory device without the extension is capped by available system memory`() {
        val lavapipe = vk(0, "llvmpipe (LLVM 15.0.6, 256 bits)", VulkanDeviceType.CPU, listOf(heap(0, 16 * gib, true)))
        val report = reconcile(listOf(ggmlVulkan("Vulkan0", "llvmpipe (LLVM 15.0.6, 256 bits)", "gpu")),
            VulkanReport(listOf(lavapipe), Optional.empty()))
        val dev = report.devices().single()
        assertEquals(6 * gib, dev.budget().bytes())
        assertTrue(dev.budgetReason().contains("upper bound"), dev.budgetReason())
    }

    @Test
    fun `discrete card without the extension plans with its heap size and says it is an upper bound`() {
        val card = vk(0, "Old Card", VulkanDeviceType.DISCRETE, listOf(heap(0, 4 * gib, true), heap(1, 16 * gib, false)))
        val dev = reconcile(listOf(ggmlVulkan("Vulkan0", "Old Card", "gpu")), VulkanReport(listOf(card), Optional.empty()))
            .devices().single()
        assertEquals(4 * gib, dev.budget().bytes())
        assertEquals("Vulkan heap size", dev.budget().source())
    }

    @Test
    fun `cpu uses ggml's free figure and hidden vulkan devices are listed with the variable to set`() {
        val lavapipe = vk(1, "llvmpipe", VulkanDeviceType.CPU, listOf(heap(0, 16 * gib, true)))
        val report = reconcile(listOf(cpu), VulkanReport(listOf(lavapipe), Optional.empty()))
        assertEquals(7 * gib, report.devices().single().budget().bytes())
        val hidden = report.hiddenVulkanDevices().single()
        assertTrue(hidden.reason().contains("GGML_VK_VISIBLE_DEVICES=1"), hidden.reason())
    }

    @Test
    fun `equal device names match in enumeration order`() {
        val a = vk(0, "Twin", VulkanDeviceType.DISCRETE, listOf(heap(0, 4 * gib, true, 3 * gib, 0)))
        val b = vk(1, "Twin", VulkanDeviceType.DISCRETE, listOf(heap(0, 4 * gib, true, 2 * gib, 0)))
        val devices = reconcile(listOf(ggmlVulkan("Vulkan0", "Twin", "gpu"), ggmlVulkan("Vulkan1", "Twin", "gpu")),
            VulkanReport(listOf(a, b), Optional.empty())).devices()
        assertEquals(listOf(3 * gib, 2 * gib), devices.map { it.budget().bytes() })
    }

    @Test
    fun `without a vulkan probe the ggml figure is used and the reason says why`() {
        val dev = reconcile(listOf(ggmlVulkan("Vulkan0", "Some GPU", "gpu")),
            VulkanReport(emptyList(), Optional.of("no Vulkan loader"))).devices().single()
        assertEquals(8 * gib, dev.budget().bytes())
        assertTrue(dev.budgetReason().contains("no Vulkan loader"), dev.budgetReason())
    }

    @Test
    fun `live report lists the cpu and the lavapipe device with positive budgets`() {
        val report: DeviceReport = Devices.report()
        val backends = report.devices().map { it.backend() }
        assertTrue("CPU" in backends && "Vulkan" in backends, "devices: $backends; unavailable: ${report.unavailableBackends()}")
        report.devices().forEach { assertTrue(it.budget().bytes() > 0, "$it") }
        val vulkan = report.devices().first { it.backend() == "Vulkan" }
        assertEquals(Optional.of("cpu"), vulkan.vulkanType(), "lavapipe should be matched to the probe's CPU-type device")
    }
}
