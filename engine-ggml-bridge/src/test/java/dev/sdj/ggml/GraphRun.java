package dev.sdj.ggml;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Builds a one-output graph in a fresh context, runs it on one device and returns the output as floats. */
final class GraphRun {
    private final Device device;
    private final Map<String, float[]> inputs = new LinkedHashMap<>();
    private final Map<String, Tensor> inputTensors = new LinkedHashMap<>();
    private GgmlContext ctx;

    GraphRun(Device device) {
        this.device = device;
    }

    /** Declares an input tensor; its values are written after the graph is allocated. */
    Tensor input(String name, GgmlType type, float[] values, long... shape) {
        Tensor t = ctx.newTensor(type, shape).name(name).asInput();
        inputs.put(name, values);
        inputTensors.put(name, t);
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
                inputs.forEach((name, values) -> inputTensors.get(name).setFloats(values));
                backend.compute(graph);
                return out.getFloats();
            }
        } finally {
            ctx = null;
        }
    }

    GgmlContext ctx() {
        return ctx;
    }
}
