package dev.sdj.vulkan;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class VulkanProbeTest {

    /** The test command installs lavapipe, so the probe must find at least the CPU-type device with real heaps. */
    @Test
    void findsLavapipeWithDeviceLocalHeap() {
        VulkanReport report = VulkanProbe.probe();
        assertTrue(report.available(), () -> "Vulkan unavailable: " + report.unavailableReason().orElse(""));
        VulkanDevice cpu = report.devices().stream().filter(d -> d.type() == VulkanDeviceType.CPU).findFirst()
                .orElseThrow(() -> new AssertionError("no CPU-type Vulkan device (lavapipe) in " + report.devices()));
        assertTrue(cpu.name().startsWith("llvmpipe"), cpu.name());
        assertFalse(cpu.heaps().isEmpty());
        assertTrue(cpu.deviceLocalBytes() > 0);
        assertEquals(cpu.hasMemoryBudget(), cpu.deviceLocalBudgetLeft().isPresent());
        for (MemoryHeap h : cpu.heaps()) {
            assertEquals(cpu.hasMemoryBudget(), h.budget().isPresent());
        }
    }
}
