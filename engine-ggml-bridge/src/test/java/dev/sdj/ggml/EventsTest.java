package dev.sdj.ggml;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

class EventsTest {

    @Test
    void cpuHasNoEventsAndSaysSo() {
        assertTrue(TestDevices.cpu().newEvent().isEmpty());
    }

    /**
     * The prefetch pattern: one backend uploads from pinned host memory and records an event; a second backend
     * waits on the event before computing with the uploaded tensor.
     */
    @Test
    void uploadOnOneVulkanStreamIsOrderedBeforeComputeOnAnother() {
        Device vk = TestDevices.vulkan();
        BufferType pinned = vk.hostBufferType().orElseThrow(() -> new AssertionError("Vulkan has a pinned host buffer type"));
        assertTrue(pinned.isHost());
        Ggml ggml = Ggml.get();
        try (GgmlContext weights = ggml.newContext(2);
             GgmlContext host = ggml.newContext(1);
             Backend uploader = vk.open();
             Backend compute = vk.open();
             BackendEvent uploaded = vk.newEvent().orElseThrow()) {
            Tensor w = weights.newTensor(GgmlType.F32, 1024).name("w");
            Tensor staging = host.newTensor(GgmlType.F32, 1024).name("staging");
            try (BackendBuffer deviceBuf = vk.bufferType().allocateTensors(weights);
                 BackendBuffer hostBuf = pinned.allocateTensors(host)) {
                float[] values = new float[1024];
                for (int i = 0; i < values.length; i++) {
                    values[i] = i * 0.25f;
                }
                staging.setFloats(values);
                long pinnedAddress = hostBuf.hostAddress();
                uploader.setAsync(w, pinnedAddress, 0, w.nbytes());
                uploader.record(uploaded);
                compute.waitFor(uploaded);

                try (GgmlContext ctx = ggml.newContext(4, 16);
                     GraphAllocator alloc = new GraphAllocator(ggml, vk.bufferType())) {
                    Tensor out = ctx.scale(w, 2f).asOutput();
                    Graph g = ctx.graph(16, out);
                    alloc.allocate(g);
                    compute.computeAsync(g);
                    compute.synchronize();
                    float[] result = out.getFloats();
                    for (int i = 0; i < values.length; i++) {
                        assertEquals(values[i] * 2, result[i]);
                    }
                }
                uploaded.synchronize();
                assertThrows(GgmlException.class, deviceBuf::hostAddress);
            }
        }
    }
}
