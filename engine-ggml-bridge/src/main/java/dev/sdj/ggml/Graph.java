package dev.sdj.ggml;

/** A computation graph; its memory belongs to the context that built it. */
public final class Graph {
    private final GgmlContext ctx;
    private final long handle;
    private final int capacity;

    Graph(GgmlContext ctx, long handle, int capacity) {
        if (handle == 0) {
            throw new GgmlException("ggml_new_graph_custom returned NULL");
        }
        this.ctx = ctx;
        this.handle = handle;
        this.capacity = capacity;
    }

    long handle() {
        ctx.checkOpen();
        return handle;
    }

    public GgmlContext context() {
        return ctx;
    }

    /** Adds {@code output} and everything it depends on. */
    public Graph expand(Tensor output) {
        if (output.context() != ctx) {
            throw new IllegalArgumentException("graph outputs must come from the graph's own context");
        }
        ctx.ggml().lib.ggml_build_forward_expand(handle(), output.handle());
        if (nodeCount() >= capacity) {
            throw new GgmlException("graph is full at " + capacity + " nodes: build it with a larger size");
        }
        return this;
    }

    public int nodeCount() {
        return ctx.ggml().lib.ggml_graph_n_nodes(handle());
    }

    /**
     * A graph of nodes [from, to) of this one, in the same order, built in {@code ctx}. Computing the slices of an
     * allocated graph one after another in order does exactly what computing the whole graph does: the nodes and
     * their memory are the same, so a scheduler can do other work (load the next weights) between slices.
     */
    public Graph slice(GgmlContext ctx, int from, int to) {
        int n = nodeCount();
        if (from < 0 || to > n || from >= to) {
            throw new IndexOutOfBoundsException("slice [" + from + ", " + to + ") of a graph of " + n + " nodes");
        }
        Graph slice = new Graph(ctx, ctx.ggml().lib.ggml_new_graph_custom(ctx.handle(), to - from, false), to - from);
        for (int i = from; i < to; i++) {
            ctx.ggml().lib.ggml_graph_add_node(slice.handle(), ctx.ggml().lib.ggml_graph_node(handle(), i));
        }
        return slice;
    }

    public Tensor node(int i) {
        int n = nodeCount();
        if (i < -n || i >= n) {
            throw new IndexOutOfBoundsException("node " + i + " of a graph of " + n);
        }
        return ctx.tensorAt(ctx.ggml().lib.ggml_graph_node(handle(), i));
    }
}
