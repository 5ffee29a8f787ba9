package dev.sdj.cli;

import dev.sdj.api.DeviceInfo;
import dev.sdj.api.DeviceReport;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * One line saying why a generation ran on the CPU while a real GPU was there, so that a slow run is not a mystery.
 * Software rasterisers (lavapipe) are no reason to speak: the engine passes them over on purpose.
 */
final class DeviceChoiceNote {
    private DeviceChoiceNote() {
    }

    /**
     * @param devices     asked only for a CPU run (it probes Vulkan)
     * @param runDevice   the device the generation ran on
     * @param deviceGiven the --device the user named, if any
     */
    static Optional<String> explain(Supplier<DeviceReport> devices, String runDevice, Optional<String> deviceGiven) {
        if (!runDevice.equals("CPU")) {
            return Optional.empty();
        }
        return devices.get().devices().stream().filter(DeviceChoiceNote::isRealGpu).findFirst().map(gpu -> {
            String why = deviceGiven.isPresent()
                    ? "--device " + deviceGiven.get() + " was given"
                    : "the model does not fit its memory budget (see 'sdj plan --device " + gpu.name() + "')";
            return "note: running on the CPU, not " + gpu.name() + " (" + gpu.description() + "): " + why;
        });
    }

    private static boolean isRealGpu(DeviceInfo d) {
        return (d.type().equals("gpu") || d.type().equals("igpu"))
                && !d.vulkanType().orElse("").equals("cpu") && !d.description().startsWith("llvmpipe");
    }
}
