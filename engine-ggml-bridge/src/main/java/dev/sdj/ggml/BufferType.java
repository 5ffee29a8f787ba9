package dev.sdj.ggml;

/** Where a buffer's memory comes from (a device's memory, pinned host memory, plain host memory). Not owned. */
public final class BufferType {
    private final Ggml ggml;
    final long handle;
    private final String what;

    BufferType(Ggml ggml, long handle, String what) {
        if (handle == 0) {
            throw new GgmlException(what + ": ggml returned NULL");
        }
        this.ggml = ggml;
        this.handle = handle;
        this.what = what;
    }

    public String name() {
        return ggml.lib.ggml_backend_buft_name(handle);
    }

    public long alignment() {
        return ggml.lib.ggml_backend_buft_get_alignment(handle);
    }

    /** The largest single buffer this type can allocate (ggml's SIZE_MAX, "no limit", reads as Long.MAX_VALUE). */
    public long maxSize() {
        long max = ggml.lib.ggml_backend_buft_get_max_size(handle);
        return max < 0 ? Long.MAX_VALUE : max;
    }

    /** Bytes a tensor takes in a buffer of this type (may exceed its nbytes, e.g. padding for quantized rows). */
    public long allocSize(Tensor tensor) {
        return ggml.lib.ggml_backend_buft_get_alloc_size(handle, tensor.handle());
    }

    public boolean isHost() {
        return ggml.lib.ggml_backend_buft_is_host(handle) != 0;
    }

    public BackendBuffer allocate(long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("buffer size must be positive, got " + size);
        }
        long h = ggml.lib.ggml_backend_buft_alloc_buffer(handle, size);
        if (h == 0) {
            throw new GgmlException("cannot allocate " + size + " bytes of " + name() + " (out of device memory?)");
        }
        return new BackendBuffer(ggml, h, name() + " buffer of " + size + " bytes");
    }

    /**
     * Allocates one buffer holding every tensor of {@code ctx} that has no storage yet, laid out by ggml, and marks
     * those tensors as stored there.
     */
    public BackendBuffer allocateTensors(GgmlContext ctx) {
        long h = ggml.lib.ggml_backend_alloc_ctx_tensors_from_buft(ctx.handle(), handle);
        if (h == 0) {
            throw new GgmlException("cannot allocate the tensors of " + ctx.describe() + " in " + name()
                    + " (out of memory, or no tensor needed storage)");
        }
        BackendBuffer buffer = new BackendBuffer(ggml, h, name() + " buffer for " + ctx.describe());
        ctx.adoptStorage(buffer);
        return buffer;
    }

    @Override
    public String toString() {
        return what;
    }
}
