package dev.sdj.api;

import java.util.List;
import java.util.Optional;

/**
 * Every device the engine can use, plus what it cannot use and why: backends that failed to load, and Vulkan devices
 * the driver shows but ggml hides.
 *
 * @param ggmlVersion       version and commit of the loaded ggml
 * @param nativesOrigin     where the ggml libraries came from (bundled package or user override)
 * @param vulkanUnavailable why the Vulkan probe could not run, when it could not
 */
public record DeviceReport(
        String ggmlVersion,
        String nativesOrigin,
        List<DeviceInfo> devices,
        List<Unavailable> unavailableBackends,
        List<Unavailable> hiddenVulkanDevices,
        Optional<String> vulkanUnavailable) {

    /** Something that is not usable here, and the reason. */
    public record Unavailable(String name, String reason) {
    }
}
