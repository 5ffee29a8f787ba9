package dev.sdj.ggml;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/** Builds a one-output graph in a fresh context, runs it on one device and returns the output as floats. */
final class GraphRun {
    private final Device device;
    private final Map<Tensor, Consumer<Tensor>> writers = new LinkedHashMap<>();
    private GgmlContext ctx;

    GraphRun(Device device) {
        this.device = device;
    }

    /** Declares a float-valued input; the values are written once the graph is allocated. */
    Tensor input(String name, GgmlType type, float[] values, long... shape) {
        Tensor t = ctx.newTensor(type, shape).name(name).asInput();
        writers.put(t, tensor -> tensor.setFloats(values));
        return t;
    }

    /** Declares an i32 input (indices, positions). */
    Tensor inputInts(String name, int[] values, long... shape) {
        Tensor t = ctx.newTensor(GgmlType.I32, shape).name(name).asInput();
        writers.put(t, tensor -> {
            ByteBuffer b = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
            b.asIntBuffer().put(values);
            tensor.write(b, 0);
        });
        return t;
    }

    float[] run(Function<GraphRun, Tensor> build) {
        Ggml ggml = Ggml.get();
        try (GgmlContext c = ggml.newContext(64, 512); Backend backend = TestDevices.open(device)) {
            ctx = c;
            Tensor out = build.apply(this).asOutput();
            if (!device.supports(out)) {
                throw new AssertionError(device + " does not support " + out);
            }
            Graph graph = ctx.graph(512, out);
            try (GraphAllocator alloc = new GraphAllocator(ggml, device.bufferType())) {
                alloc.allocate(graph);
                writers.forEach((tensor, writer) -> writer.accept(tensor));
                backend.compute(graph);
                return out.getFloats();
            }
        } finally {
            ctx = null;
            writers.clear();
        }
    }

    GgmlContext ctx() {
        return ctx;
    }
}
