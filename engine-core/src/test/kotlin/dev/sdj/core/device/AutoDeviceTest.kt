package dev.sdj.core.device

import dev.sdj.api.DeviceInfo
import dev.sdj.api.MemoryFigure
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test
import java.util.Optional

class AutoDeviceTest {
    private val gib = 1L shl 30

    private fun device(backend: String, name: String, description: String, type: String, budget: Long, vulkanType: String? = null) =
        DeviceInfo(backend, name, description, type, Optional.ofNullable(vulkanType), Optional.empty(),
            MemoryFigure(budget, "test"), MemoryFigure(budget, "test"), MemoryFigure(budget, "test"), "test")

    private val cpu = device("CPU", "CPU", "AMD Ryzen", "cpu", 16 * gib)
    private val lavapipe = device("Vulkan", "Vulkan0", "llvmpipe (LLVM 15.0.6, 256 bits)", "gpu", 32 * gib, "cpu")

    @Test
    fun `without a real GPU there is nothing to choose, even with lavapipe and a large CPU budget`() {
        assertNull(AutoDevice.choose(listOf(cpu, lavapipe)))
    }

    @Test
    fun `the GPU with the largest budget wins whatever its backend`() {
        val cuda = device("CUDA", "CUDA0", "NVIDIA GeForce GTX 1650", "gpu", 4 * gib)
        val rocm = device("ROCm", "ROCm0", "AMD Radeon RX 6700 XT", "gpu", 12 * gib)
        val sycl = device("SYCL", "SYCL0", "Intel Arc A380", "gpu", 6 * gib)
        val choice = AutoDevice.choose(listOf(cpu, cuda, sycl, rocm, lavapipe))!!
        assertEquals("ROCm0", choice.device)
        assertEquals("ROCm0 (AMD Radeon RX 6700 XT, ROCm) has the largest budget among the GPUs (12.0 GiB; CUDA0 4.0 GiB, SYCL0 6.0 GiB)",
            choice.why)
    }

    @Test
    fun `an integrated GPU counts and a lone one says so`() {
        val igpu = device("Vulkan", "Vulkan1", "AMD Radeon 780M", "igpu", 8 * gib, "integrated")
        assertEquals(AutoDevice.Choice("Vulkan1", "Vulkan1 (AMD Radeon 780M, Vulkan) is the only GPU"),
            AutoDevice.choose(listOf(cpu, lavapipe, igpu)))
    }

    @Test
    fun `one card seen by CUDA and Vulkan runs on CUDA`() {
        val vulkan = device("Vulkan", "Vulkan0", "NVIDIA GeForce RTX 3060", "gpu", 11 * gib, "discrete")
        val cuda = device("CUDA", "CUDA0", "NVIDIA GeForce RTX 3060", "gpu", 11 * gib)
        val choice = AutoDevice.choose(listOf(cpu, vulkan, cuda))!!
        assertEquals("CUDA0", choice.device)
        assertEquals("CUDA0 (NVIDIA GeForce RTX 3060, CUDA) has the largest budget among the GPUs (11.0 GiB; Vulkan0 11.0 GiB); " +
            "as large as Vulkan0's, and CUDA is preferred to Vulkan", choice.why)
    }
}
