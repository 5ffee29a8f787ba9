package dev.sdj.api;

import java.util.List;
import java.util.Optional;

/**
 * Every device the engine can use, plus what it cannot use and why: backends that failed to load, and Vulkan devices
 * the driver shows but ggml hides.
 *
 * @param ggmlVersion       version and commit of the loaded ggml
 * @param devices           the devices the engine can run on, CPU included
 * @param nativesOrigin     where the ggml libraries came from (bundled package or user override)
 * @param unavailableBackends ggml backends that could not be loaded
 * @param hiddenVulkanDevices Vulkan devices the driver shows but ggml does not use
 * @param vulkanUnavailable why the Vulkan probe could not run, when it could not
 */
public record DeviceReport(
        String ggmlVersion,
        String nativesOrigin,
        List<DeviceInfo> devices,
        List<Unavailable> unavailableBackends,
        List<Unavailable> hiddenVulkanDevices,
        Optional<String> vulkanUnavailable) {

    /**
     * The devices of this process as the engine sees them now (free memory is read again on every call). Loads ggml
     * on first use.
     *
     * @throws EngineException when no engine implementation is on the class path or ggml cannot be loaded
     */
    public static DeviceReport current() {
        return Providers.provider().devices();
    }

    /**
     * Something that is not usable here, and the reason.
     *
     * @param name   the backend's or device's name
     * @param reason why it cannot be used
     */
    public record Unavailable(String name, String reason) {
    }
}
