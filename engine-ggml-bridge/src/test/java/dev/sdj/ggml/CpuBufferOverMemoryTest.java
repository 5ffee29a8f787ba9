package dev.sdj.ggml;

import com.kenai.jffi.MemoryIO;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class CpuBufferOverMemoryTest {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    /** 256 bytes of floats 0, 1, 2, … at a 32-byte-aligned address. */
    private static ByteBuffer alignedFloats() {
        ByteBuffer b = ByteBuffer.allocateDirect(256 + 64).alignedSlice(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 64; i++) {
            b.putFloat(i * 4, i);
        }
        return b;
    }

    @Test
    void tensorsPlacedOverMemoryReadThatMemoryInPlace() {
        ByteBuffer memory = alignedFloats();
        long address = MEMORY.getDirectBufferAddress(memory);
        AtomicInteger released = new AtomicInteger();
        try (GgmlContext ctx = Ggml.get().newContext(2)) {
            Tensor head = ctx.newTensor(GgmlType.F32, 16).name("head");
            Tensor tail = ctx.newTensor(GgmlType.F32, 32).name("tail");
            try (BackendBuffer buf = Ggml.get().cpuBufferOver(address, 256, released::incrementAndGet, "test memory")) {
                assertTrue(buf.isReadOnly());
                assertTrue(buf.isHost());
                assertEquals(address, buf.hostAddress());
                buf.place(head, 0, Ggml.CPU_BUFFER_ALIGNMENT);
                buf.place(tail, 128, Ggml.CPU_BUFFER_ALIGNMENT);
                float[] expected = new float[32];
                for (int i = 0; i < 32; i++) {
                    expected[i] = 32 + i;
                }
                assertArrayEquals(expected, tail.getFloats());
                // In place: a change to the memory shows through the tensor, no copy was made.
                memory.putFloat(0, 42f);
                assertEquals(42f, head.getFloats()[0]);
                assertEquals(0, released.get());
            }
            assertEquals(1, released.get(), "the memory is released once, when the buffer is freed");
        }
    }

    @Test
    void writingATensorOverReadOnlyMemoryIsRefused() {
        ByteBuffer memory = alignedFloats();
        try (GgmlContext ctx = Ggml.get().newContext(1)) {
            Tensor t = ctx.newTensor(GgmlType.F32, 4).name("w");
            try (BackendBuffer buf = Ggml.get().cpuBufferOver(MEMORY.getDirectBufferAddress(memory), 256, () -> { }, "test memory")) {
                buf.place(t, 0, Ggml.CPU_BUFFER_ALIGNMENT);
                GgmlException e = assertThrows(GgmlException.class, () -> t.setFloats(new float[4]));
                assertTrue(e.getMessage().contains("read-only"), e.getMessage());
                assertThrows(GgmlException.class, buf::clearToZero);
                assertEquals(0f, memory.getFloat(0));
            }
        }
    }

    @Test
    void aMisalignedAddressIsRefusedAndItsMemoryReleased() {
        ByteBuffer memory = alignedFloats();
        AtomicInteger released = new AtomicInteger();
        GgmlException e = assertThrows(GgmlException.class,
                () -> Ggml.get().cpuBufferOver(MEMORY.getDirectBufferAddress(memory) + 8, 128, released::incrementAndGet, "test memory"));
        assertTrue(e.getMessage().contains("not aligned to 32"), e.getMessage());
        assertEquals(1, released.get());
    }
}
