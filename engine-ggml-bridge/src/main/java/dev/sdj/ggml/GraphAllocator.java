package dev.sdj.ggml;

/**
 * ggml's graph allocator on one buffer type: measures ({@link #reserve}) and allocates the memory a graph's
 * intermediate tensors need, reusing memory between tensors whose lifetimes do not overlap.
 */
public final class GraphAllocator extends NativeHandle {
    private final Ggml ggml;
    private final BufferType bufferType;
    private int generation;

    public GraphAllocator(Ggml ggml, BufferType bufferType) {
        super("graph allocator on " + bufferType.name(), ggml.lib.ggml_gallocr_new(bufferType.handle));
        this.ggml = ggml;
        this.bufferType = bufferType;
    }

    public BufferType bufferType() {
        return bufferType;
    }

    /** Sizes (and allocates) the compute buffer for {@code graph} without assigning tensors; returns its bytes. */
    public long reserve(Graph graph) {
        if (ggml.lib.ggml_gallocr_reserve(handle(), graph.handle()) == 0) {
            throw new GgmlException("cannot reserve the compute buffer on " + bufferType.name() + " (out of memory?)");
        }
        return bufferBytes();
    }

    /**
     * Bytes the compute buffer for {@code graph} would take, without allocating anything: tensors that already have
     * memory (weights) are not counted.
     */
    public long measure(Graph graph) {
        jnr.ffi.Pointer sizes = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(ggml.lib), 8);
        ggml.lib.ggml_gallocr_reserve_n_size(handle(), graph.handle(), null, null, sizes);
        return sizes.getLong(0);
    }

    /** Gives every unallocated tensor of {@code graph} memory; tensors of earlier allocations become invalid. */
    public void allocate(Graph graph) {
        if (ggml.lib.ggml_gallocr_alloc_graph(handle(), graph.handle()) == 0) {
            throw new GgmlException("cannot allocate the graph on " + bufferType.name() + " (out of memory?)");
        }
        generation++;
        graph.context().adoptStorage(new Allocation(generation));
    }

    /** Bytes of the compute buffer as sized by the last reserve or allocate. */
    public long bufferBytes() {
        return ggml.lib.ggml_gallocr_get_buffer_size(handle(), 0);
    }

    @Override
    void release(long handle) {
        ggml.lib.ggml_gallocr_free(handle);
    }

    /** One allocation: alive while the allocator is open and has not allocated another graph since. */
    private final class Allocation implements TensorStorage {
        private final int id;

        Allocation(int id) {
            this.id = id;
        }

        @Override
        public boolean isOpen() {
            return GraphAllocator.this.isOpen() && generation == id;
        }

        @Override
        public String describe() {
            return "graph allocation #" + id + " of " + GraphAllocator.this.describe()
                    + (GraphAllocator.this.isOpen() ? " (replaced by a later allocation)" : "");
        }
    }
}
