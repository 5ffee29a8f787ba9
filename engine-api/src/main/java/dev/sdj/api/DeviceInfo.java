package dev.sdj.api;

import java.util.Optional;

/**
 * One compute device as the engine sees it: the ggml backend it belongs to, and its memory reconciled from ggml and,
 * for Vulkan devices, the Vulkan driver. {@code budget} is the figure the engine plans with; {@code budgetReason}
 * says why that figure was chosen.
 *
 * @param backend      ggml backend (registry) name: CPU, Vulkan, CUDA, ...
 * @param name         ggml device name, the one to pass as a device choice (e.g. {@code Vulkan0})
 * @param description  what the device calls itself
 * @param type         cpu, gpu (discrete), igpu (integrated), accel
 * @param vulkanType   the Vulkan device type when the Vulkan probe matched this device
 * @param driver       the Vulkan driver name and version when known
 * @param total        the device's memory
 * @param free         of which free now
 * @param budget       what the engine plans with
 * @param budgetReason why {@code budget} is that figure
 */
public record DeviceInfo(
        String backend,
        String name,
        String description,
        String type,
        Optional<String> vulkanType,
        Optional<String> driver,
        MemoryFigure total,
        MemoryFigure free,
        MemoryFigure budget,
        String budgetReason) {
}
