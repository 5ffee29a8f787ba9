package dev.sdj.ggml;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class GgmlLoadingTest {

    @Test
    void loadsThePinnedGgmlWithCpuAndVulkanDevices() {
        Ggml ggml = Ggml.get();
        assertTrue(ggml.version().startsWith("0.25.1"), ggml.version());
        assertEquals(DeviceType.CPU, TestDevices.cpu().type());
        Device vk = TestDevices.vulkan();
        assertTrue(vk.description().startsWith("llvmpipe") || vk.type() != DeviceType.CPU, vk.description());
        assertTrue(ggml.absentBackends().stream().noneMatch(a -> a.name().equals("Vulkan") || a.name().equals("CPU")),
                ggml.absentBackends().toString());
        assertTrue(ggml.absentBackends().stream().anyMatch(a -> a.name().equals("CUDA")),
                "the bundled Vulkan build has no CUDA backend, and must say so");
    }

    @Test
    void everyKnownTypeMatchesTheLibrarysTypeTable() {
        Ggml ggml = Ggml.get();
        for (GgmlType t : GgmlType.values()) {
            assertEquals(t.ggmlName(), ggml.typeName(t.value), "ggml type " + t.value);
            assertTrue(ggml.typeSize(t) > 0, t.name());
        }
    }

    @Test
    void tensorStructOffsetsAgreeWithTheLibrary() {
        try (GgmlContext ctx = Ggml.get().newContext(4)) {
            Tensor t = ctx.newTensor(GgmlType.F16, 3, 5, 7, 2).name("probe");
            assertArrayEquals(new long[]{3, 5, 7, 2}, t.shape());
            assertEquals(GgmlType.F16, t.type());
            assertEquals(3 * 5 * 7 * 2, t.elementCount());
            assertEquals(2L * t.elementCount(), t.nbytes());
            assertArrayEquals(new long[]{2, 6, 30, 210}, t.strides());
            assertEquals("probe", t.name());
            assertFalse(t.hasNativeData());
        }
    }

    @Test
    void cpuThreadCountIsSetThroughTheRegistry() {
        try (Backend b = TestDevices.cpu().open()) {
            b.setThreads(1);
            b.setThreads(2);
            assertThrows(IllegalArgumentException.class, () -> b.setThreads(0));
        }
    }
}
