package dev.sdj.vulkan;

import java.util.List;
import java.util.Optional;

/** The outcome of a probe: the devices, or why Vulkan could not be asked. */
public record VulkanReport(List<VulkanDevice> devices, Optional<String> unavailableReason) {

    static VulkanReport available(List<VulkanDevice> devices) {
        return new VulkanReport(List.copyOf(devices), Optional.empty());
    }

    static VulkanReport unavailable(String reason) {
        return new VulkanReport(List.of(), Optional.of(reason));
    }

    public boolean available() {
        return unavailableReason.isEmpty();
    }
}
