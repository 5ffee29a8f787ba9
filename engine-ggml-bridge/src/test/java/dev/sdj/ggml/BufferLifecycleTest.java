package dev.sdj.ggml;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.*;

class BufferLifecycleTest {

    private static Device device(String which) {
        return which.equals("cpu") ? TestDevices.cpu() : TestDevices.vulkan();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void tensorsAllocatedInABufferRoundTripTheirBytes(String which) {
        Device dev = device(which);
        try (GgmlContext ctx = Ggml.get().newContext(2)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 100, 3).name("a");
            Tensor b = ctx.newTensor(GgmlType.F16, 64).name("b");
            try (BackendBuffer buf = dev.bufferType().allocateTensors(ctx)) {
                assertTrue(buf.size() >= a.nbytes() + b.nbytes());
                float[] values = new float[300];
                for (int i = 0; i < values.length; i++) {
                    values[i] = i * 0.5f - 7;
                }
                a.setFloats(values);
                assertArrayEquals(values, a.getFloats());

                ByteBuffer raw = ByteBuffer.allocateDirect(128).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 64; i++) {
                    raw.putShort((short) (0x3c00 + i)); // f16 bit patterns, written and read as raw bytes
                }
                raw.flip();
                b.write(raw, 0);
                ByteBuffer back = ByteBuffer.allocateDirect(128).order(ByteOrder.LITTLE_ENDIAN);
                b.read(back, 0);
                raw.rewind();
                assertEquals(raw, back);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void intsFillAnI32TensorWholeAndOnlyAnI32TensorWhole(String which) {
        try (GgmlContext ctx = Ggml.get().newContext(2)) {
            Tensor ids = ctx.newTensor(GgmlType.I32, 5).name("ids");
            Tensor f = ctx.newTensor(GgmlType.F32, 5).name("f");
            try (BackendBuffer buf = device(which).bufferType().allocateTensors(ctx)) {
                ids.setInts(new int[]{3, -1, 70000, 0, 42});
                ByteBuffer back = ByteBuffer.allocateDirect(20).order(ByteOrder.nativeOrder());
                ids.read(back, 0);
                int[] read = new int[5];
                back.asIntBuffer().get(read);
                assertArrayEquals(new int[]{3, -1, 70000, 0, 42}, read);
                assertThrows(IllegalArgumentException.class, () -> ids.setInts(new int[4]));
                GgmlException e = assertThrows(GgmlException.class, () -> f.setInts(new int[5]));
                assertTrue(e.getMessage().contains("'f'") && e.getMessage().contains("f32"), e.getMessage());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void clearZeroesEveryByte(String which) {
        try (GgmlContext ctx = Ggml.get().newContext(1)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 16);
            try (BackendBuffer buf = device(which).bufferType().allocateTensors(ctx)) {
                float[] ones = new float[16];
                java.util.Arrays.fill(ones, 1f);
                a.setFloats(ones);
                buf.clearToZero();
                assertArrayEquals(new float[16], a.getFloats());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void closingTwiceIsSafeAndUseAfterFreeThrows(String which) {
        try (GgmlContext ctx = Ggml.get().newContext(1)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 8).name("weights");
            BackendBuffer buf = device(which).bufferType().allocateTensors(ctx);
            a.setFloats(new float[8]);
            buf.close();
            buf.close();
            assertFalse(buf.isOpen());
            GgmlException e = assertThrows(GgmlException.class, () -> a.setFloats(new float[8]));
            assertTrue(e.getMessage().contains("weights") && e.getMessage().contains("freed"), e.getMessage());
            assertThrows(GgmlException.class, a::getFloats);
            assertThrows(GgmlException.class, buf::size);
            assertThrows(GgmlException.class, buf::clearToZero);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void explicitPlacementAtAlignedOffsets(String which) {
        Device dev = device(which);
        BufferType type = dev.bufferType();
        long align = type.alignment();
        try (GgmlContext ctx = Ggml.get().newContext(2);
             BackendBuffer buf = type.allocate(4 * align + 4096)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 10);
            Tensor b = ctx.newTensor(GgmlType.F32, 10);
            buf.place(a, 0, align);
            buf.place(b, align, align);
            a.setFloats(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
            b.setFloats(new float[]{-1, -2, -3, -4, -5, -6, -7, -8, -9, -10});
            assertEquals(1f, a.getFloats()[0]);
            assertEquals(-10f, b.getFloats()[9]);
            assertThrows(IllegalArgumentException.class, () -> buf.place(ctx.newTensor(GgmlType.F32, 4), 3, align));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void tensorsWithoutStorageAndClosedContextsThrow(String which) {
        GgmlContext ctx = Ggml.get().newContext(1);
        Tensor a = ctx.newTensor(GgmlType.F32, 4).name("unplaced");
        assertThrows(GgmlException.class, a::getFloats);
        ctx.close();
        ctx.close();
        assertThrows(GgmlException.class, a::shape);
        assertThrows(GgmlException.class, () -> ctx.newTensor(GgmlType.F32, 4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void outOfRangeTransfersAndImpossibleAllocationsThrow(String which) {
        Device dev = device(which);
        try (GgmlContext ctx = Ggml.get().newContext(1)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 4);
            try (BackendBuffer ignored = dev.bufferType().allocateTensors(ctx)) {
                ByteBuffer big = ByteBuffer.allocateDirect(32);
                assertThrows(IndexOutOfBoundsException.class, () -> a.write(big, 0));
                assertThrows(IllegalArgumentException.class, () -> a.setFloats(new float[5]));
            }
        }
        assertThrows(GgmlException.class, () -> dev.bufferType().allocate(1L << 50));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void asyncUploadAndDownloadThroughEvents(String which) {
        Device dev = device(which);
        try (GgmlContext ctx = Ggml.get().newContext(1); Backend backend = TestDevices.open(dev)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 256);
            try (BackendBuffer ignored = dev.bufferType().allocateTensors(ctx)) {
                ByteBuffer src = ByteBuffer.allocateDirect(1024).order(ByteOrder.nativeOrder());
                for (int i = 0; i < 256; i++) {
                    src.putFloat(i * 4, i);
                }
                ByteBuffer dst = ByteBuffer.allocateDirect(1024).order(ByteOrder.nativeOrder());
                long srcAddr = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(src);
                long dstAddr = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(dst);
                backend.setAsync(a, srcAddr, 0, 1024);
                backend.getAsync(a, dstAddr, 0, 1024);
                backend.synchronize();
                assertEquals(src, dst);
            }
        }
    }
}
