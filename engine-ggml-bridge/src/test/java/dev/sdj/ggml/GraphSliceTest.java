package dev.sdj.ggml;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a scheduler needs to run a graph in pieces: node sources, which nodes compute, slices and tensor copies. */
class GraphSliceTest {

    private static Device device(String which) {
        return which.equals("cpu") ? TestDevices.cpu() : TestDevices.vulkan();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void computingSlicesInOrderEqualsComputingTheWholeGraph(String which) {
        Device device = device(which);
        Ggml ggml = Ggml.get();
        float[] wa = new float[16];
        float[] wb = new float[16];
        float[] x = new float[4];
        for (int i = 0; i < 16; i++) {
            wa[i] = (i % 5) * 0.25f - 0.5f;
            wb[i] = (i % 3) * 0.5f - 0.25f;
        }
        for (int i = 0; i < 4; i++) {
            x[i] = i + 1;
        }
        try (GgmlContext weightsCtx = ggml.newContext(2);
             GgmlContext ctx = ggml.newContext(64, 64);
             Backend backend = TestDevices.open(device)) {
            Tensor a = weightsCtx.newTensor(GgmlType.F32, 4, 4);
            Tensor b = weightsCtx.newTensor(GgmlType.F32, 4, 4);
            try (BackendBuffer weights = device.bufferType().allocateTensors(weightsCtx)) {
                a.setFloats(wa);
                b.setFloats(wb);
                Tensor in = ctx.newTensor(GgmlType.F32, 4, 1).name("x").asInput();
                Tensor h = ctx.gelu(ctx.mulMat(a, in));
                Tensor out = ctx.add(ctx.mulMat(ctx.reshape(b, 4, 4), h), h).asOutput();
                Graph graph = ctx.graph(64, out);
                try (GraphAllocator alloc = new GraphAllocator(ggml, device.bufferType())) {
                    alloc.allocate(graph);
                    in.setFloats(x);
                    backend.compute(graph);
                    float[] whole = out.getFloats();

                    // The nodes that read a's memory and those that read b's (through a reshape view) come in that order.
                    List<Integer> readsA = new ArrayList<>();
                    List<Integer> readsB = new ArrayList<>();
                    for (int i = 0; i < graph.nodeCount(); i++) {
                        Tensor node = graph.node(i);
                        long[] roots = node.sourceRoots();
                        if (node.computes() && Arrays.stream(roots).anyMatch(r -> r == a.identity())) readsA.add(i);
                        if (node.computes() && Arrays.stream(roots).anyMatch(r -> r == b.identity())) readsB.add(i);
                    }
                    assertEquals(1, readsA.size());
                    assertEquals(1, readsB.size());
                    assertTrue(readsA.get(0) < readsB.get(0));
                    assertEquals("MUL_MAT", graph.node(readsB.get(0)).opName());
                    assertTrue(graph.node(readsB.get(0)).computes());

                    in.setFloats(new float[4]);
                    backend.compute(graph);
                    in.setFloats(x);
                    int cut = readsB.get(0);
                    try (GgmlContext c1 = ggml.newContext(0, cut); GgmlContext c2 = ggml.newContext(0, graph.nodeCount() - cut)) {
                        backend.compute(graph.slice(c1, 0, cut));
                        backend.compute(graph.slice(c2, cut, graph.nodeCount()));
                    }
                    assertArrayEquals(whole, out.getFloats());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void leavesAndViewsDoNotComputeAndCopiesMoveBytes(String which) {
        Device device = device(which);
        Ggml ggml = Ggml.get();
        try (GgmlContext ctx = ggml.newContext(8)) {
            Tensor src = ctx.newTensor(GgmlType.F32, 6);
            Tensor dst = ctx.newTensor(GgmlType.F32, 6);
            Tensor view = ctx.reshape(src, 2, 3);
            assertFalse(src.computes());
            assertEquals("NONE", src.opName());
            assertFalse(view.computes());
            assertEquals(0, src.sourceRoots().length);
            assertArrayEquals(new long[]{src.identity()}, view.sourceRoots());
            try (BackendBuffer host = ggml.cpu().bufferType().allocate(64); BackendBuffer dev = device.bufferType().allocate(64)) {
                host.place(src, 0, 32);
                dev.place(dst, 0, 32);
                src.setFloats(new float[]{1, 2, 3, 4, 5, 6});
                src.copyTo(dst);
                assertArrayEquals(new float[]{1, 2, 3, 4, 5, 6}, dst.getFloats());
                Tensor small = ctx.newTensor(GgmlType.F32, 2);
                assertThrows(IllegalArgumentException.class, () -> src.copyTo(small));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void readsOutOfWeightBuffersAreCountedAndUploadsAreNot(String which) {
        Device device = device(which);
        Ggml ggml = Ggml.get();
        try (GgmlContext ctx = ggml.newContext(4);
             BackendBuffer host = ggml.cpu().bufferType().allocate(64);
             BackendBuffer weights = device.bufferType().allocate(64);
             BackendBuffer scratch = device.bufferType().allocate(64)) {
            weights.markAsWeights();
            Tensor master = ctx.newTensor(GgmlType.F32, 4);
            Tensor weight = ctx.newTensor(GgmlType.F32, 4);
            Tensor other = ctx.newTensor(GgmlType.F32, 4);
            host.place(master, 0, 32);
            weights.place(weight, 0, 32);
            scratch.place(other, 0, 32);
            master.setFloats(new float[]{1, 2, 3, 4});
            long before = ggml.weightBytesRead();
            master.copyTo(weight);
            other.setFloats(new float[]{5, 6, 7, 8});
            other.getFloats();
            assertEquals(before, ggml.weightBytesRead(), "uploads and reads of other buffers are not weight reads");
            assertArrayEquals(new float[]{1, 2, 3, 4}, weight.getFloats());
            assertEquals(before + 16, ggml.weightBytesRead());
        }
    }
}
