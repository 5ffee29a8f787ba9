package dev.sdj.vulkan;

import java.util.List;
import java.util.Optional;

/** What one Vulkan physical device says about itself and its memory. */
public record VulkanDevice(
        int index,
        String name,
        VulkanDeviceType type,
        int vendorId,
        int deviceId,
        String apiVersion,
        Optional<String> driverName,
        Optional<String> driverInfo,
        boolean hasMemoryBudget,
        List<MemoryHeap> heaps) {

    /** Sum of the device-local heaps: the most the device can ever hold. */
    public long deviceLocalBytes() {
        return heaps.stream().filter(MemoryHeap::deviceLocal).mapToLong(MemoryHeap::size).sum();
    }

    /** Budget left on the device-local heaps (budget minus usage), when the driver reports it. */
    public Optional<Long> deviceLocalBudgetLeft() {
        if (!hasMemoryBudget) {
            return Optional.empty();
        }
        long left = 0;
        for (MemoryHeap h : heaps) {
            if (h.deviceLocal()) {
                left += Math.max(0, h.budget().orElse(0) - h.usage().orElse(0));
            }
        }
        return Optional.of(left);
    }
}
