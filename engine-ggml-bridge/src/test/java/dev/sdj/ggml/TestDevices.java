package dev.sdj.ggml;

import java.util.ArrayList;
import java.util.List;

/**
 * The devices the bridge tests run on: the CPU and the first Vulkan device. The test command installs lavapipe
 * and sets GGML_VK_VISIBLE_DEVICES, so a missing Vulkan device is a failure, not a skip.
 */
final class TestDevices {
    private TestDevices() {
    }

    static Device cpu() {
        return Ggml.get().cpu();
    }

    static Device vulkan() {
        Ggml ggml = Ggml.get();
        return ggml.devices().stream().filter(d -> d.backendName().equals("Vulkan")).findFirst()
                .orElseThrow(() -> new AssertionError("no Vulkan device; absent backends: " + ggml.absentBackends()
                        + " (the test command installs libvulkan1 mesa-vulkan-drivers and sets GGML_VK_VISIBLE_DEVICES=0)"));
    }

    static List<Device> all() {
        List<Device> out = new ArrayList<>();
        out.add(cpu());
        out.add(vulkan());
        return out;
    }

    /** Opens a backend; the CPU one gets two threads so tests do not oversubscribe small machines. */
    static Backend open(Device device) {
        Backend b = device.open();
        if (device.type() == DeviceType.CPU) {
            b.setThreads(2);
        }
        return b;
    }
}
