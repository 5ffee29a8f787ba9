package dev.sdj.cli;

import dev.sdj.api.DeviceInfo;
import dev.sdj.api.DeviceReport;
import dev.sdj.api.MemoryFigure;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

class DeviceChoiceNoteTest {
    private static final MemoryFigure GIB = new MemoryFigure(1L << 30, "test");

    private static DeviceInfo device(String name, String description, String type, String vulkanType) {
        return new DeviceInfo("Vulkan", name, description, type, Optional.ofNullable(vulkanType), Optional.empty(), GIB, GIB, GIB, "test");
    }

    private static DeviceReport report(DeviceInfo... devices) {
        List<DeviceInfo> all = new java.util.ArrayList<>(List.of(devices));
        all.add(new DeviceInfo("CPU", "CPU", "x86", "cpu", Optional.empty(), Optional.empty(), GIB, GIB, GIB, "test"));
        return new DeviceReport("0.25.1", "test", all, List.of(), List.of(), Optional.empty());
    }

    private static final DeviceInfo RADEON = device("Vulkan0", "AMD Radeon RX 6600", "gpu", "discrete");

    @Test
    void aCpuRunBesideAGpuSaysWhichDeviceRanAndThatTheModelDidNotFit() {
        String note = DeviceChoiceNote.explain(() -> report(RADEON), "CPU", Optional.empty()).orElseThrow();
        assertEquals("note: running on the CPU, not Vulkan0 (AMD Radeon RX 6600): the model does not fit its memory budget "
                + "(see 'sdj plan --device Vulkan0')", note);
    }

    @Test
    void aCpuRunTheUserAskedForNamesTheFlag() {
        String note = DeviceChoiceNote.explain(() -> report(RADEON), "CPU", Optional.of("CPU")).orElseThrow();
        assertTrue(note.endsWith(": --device CPU was given"), note);
    }

    @Test
    void lavapipeAndGpuRunsNeedNoNote() {
        DeviceInfo lavapipe = device("Vulkan0", "llvmpipe (LLVM 15.0.6, 256 bits)", "gpu", "cpu");
        assertEquals(Optional.empty(), DeviceChoiceNote.explain(() -> report(lavapipe), "CPU", Optional.empty()));
        assertEquals(Optional.empty(), DeviceChoiceNote.explain(() -> { throw new AssertionError("no probe for a GPU run"); },
                "Vulkan0", Optional.empty()));
    }
}
