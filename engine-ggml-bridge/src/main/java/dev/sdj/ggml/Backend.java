package dev.sdj.ggml;

/** A running backend on one device: it computes graphs and moves tensor data, in order. */
public final class Backend extends NativeHandle {
    private final Ggml ggml;
    private final Device device;

    Backend(Ggml ggml, Device device, long handle) {
        super("backend on " + device, handle);
        this.ggml = ggml;
        this.device = device;
    }

    public Device device() {
        return device;
    }

    public String name() {
        return ggml.lib.ggml_backend_name(handle());
    }

    /**
     * Sets the worker thread count. Only backends that export {@code ggml_backend_set_n_threads} (CPU) have one; the
     * function lives in the backend's own library (loaded RTLD_LOCAL), so it is reached through the registry.
     */
    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        long fn = ggml.lib.ggml_backend_reg_get_proc_address(device.registry(), "ggml_backend_set_n_threads");
        if (fn == 0) {
            throw new GgmlException(device.backendName() + " has no thread-count setting");
        }
        GgmlInit.callVoidPtrInt(fn, handle(), threads);
    }

    /** Computes a graph whose tensors are all allocated, waiting for the result. */
    public void compute(Graph graph) {
        int status = ggml.lib.ggml_backend_graph_compute(handle(), graph.handle());
        if (status != 0) {
            throw new GgmlException("graph compute on " + device + " failed with ggml_status " + status);
        }
    }

    /** Queues a graph; {@link #synchronize()} or an event waits for it. */
    public void computeAsync(Graph graph) {
        int status = ggml.lib.ggml_backend_graph_compute_async(handle(), graph.handle());
        if (status != 0) {
            throw new GgmlException("async graph compute on " + device + " failed with ggml_status " + status);
        }
    }

    public void synchronize() {
        ggml.lib.ggml_backend_synchronize(handle());
    }

    /** Queues an upload from native memory at {@code address}, which must stay valid until synchronised. */
    public void setAsync(Tensor tensor, long address, long offset, long size) {
        tensor.checkRange(offset, size);
        ggml.lib.ggml_backend_tensor_set_async(handle(), tensor.dataHandle(), address, offset, size);
    }

    /** Queues a download into native memory at {@code address}, which must stay valid until synchronised. */
    public void getAsync(Tensor tensor, long address, long offset, long size) {
        tensor.checkRange(offset, size);
        ggml.lib.ggml_backend_tensor_get_async(handle(), tensor.dataHandle(), address, offset, size);
    }

    public void record(BackendEvent event) {
        ggml.lib.ggml_backend_event_record(event.handle(), handle());
    }

    /** Makes this backend's later work wait for the event (recorded on another backend) without blocking Java. */
    public void waitFor(BackendEvent event) {
        ggml.lib.ggml_backend_event_wait(handle(), event.handle());
    }

    @Override
    void release(long handle) {
        ggml.lib.ggml_backend_free(handle);
    }
}
