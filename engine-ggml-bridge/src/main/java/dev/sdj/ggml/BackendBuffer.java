package dev.sdj.ggml;

/**
 * Memory allocated from a {@link BufferType}, or a CPU buffer over memory the engine owns elsewhere (a model file's
 * read-only mapping, see {@link Ggml#cpuBufferOver}). Tensors placed in it become unusable once it is closed.
 */
public final class BackendBuffer extends NativeHandle implements TensorStorage {
    private final Ggml ggml;
    /** The memory under a buffer made over it, released only after ggml's buffer is freed; null for allocated buffers. */
    private final AutoCloseable backing;

    BackendBuffer(Ggml ggml, long handle, String what) {
        this(ggml, handle, what, null);
    }

    BackendBuffer(Ggml ggml, long handle, String what, AutoCloseable backing) {
        super(what, handle);
        this.ggml = ggml;
        this.backing = backing;
    }

    /** Whether the buffer's memory is read-only (a file mapping): writing its tensors would fault, so it is refused. */
    public boolean isReadOnly() {
        return backing != null;
    }

    public long size() {
        return ggml.lib.ggml_backend_buffer_get_size(handle());
    }

    public String name() {
        return ggml.lib.ggml_backend_buffer_name(handle());
    }

    public boolean isHost() {
        return ggml.lib.ggml_backend_buffer_is_host(handle()) != 0;
    }

    /** Address of a host buffer's memory, to fill it directly or upload from it; host buffers only. */
    public long hostAddress() {
        if (!isHost()) {
            throw new GgmlException(describe() + " is device memory: it has no host address");
        }
        return ggml.lib.ggml_backend_buffer_get_base(handle());
    }

    /**
     * Sets every byte to zero. Only zero is offered: ggml-vulkan 0.25.1 fills 32-bit words with the byte value
     * rather than repeating it (seen here: clear(0x3f) read back as 0x0000003f per float on lavapipe).
     */
    public void clearToZero() {
        if (isReadOnly()) {
            throw new GgmlException(describe() + " is read-only memory: it cannot be cleared");
        }
        ggml.lib.ggml_backend_buffer_clear(handle(), (byte) 0);
    }

    /** Marks the buffer as holding weights, which lets schedulers prefer running ops where the weights are. */
    public void markAsWeights() {
        ggml.lib.ggml_backend_buffer_set_usage(handle(), 1);
        weights = true;
    }

    private volatile boolean weights;

    boolean holdsWeights() {
        return weights;
    }

    /** Places {@code tensor} at byte {@code offset} of this buffer (offset must respect the type's alignment). */
    public void place(Tensor tensor, long offset, long alignment) {
        if (offset < 0 || offset % alignment != 0) {
            throw new IllegalArgumentException("offset " + offset + " is not aligned to " + alignment);
        }
        long needed = tensor.nbytes();
        if (offset + needed > size()) {
            throw new GgmlException("tensor " + tensor.name() + " (" + needed + " bytes) does not fit at offset "
                    + offset + " of " + describe());
        }
        int status = ggml.lib.ggml_backend_tensor_alloc(handle(), tensor.handle(),
                ggml.lib.ggml_backend_buffer_get_base(handle()) + offset);
        if (status != 0) {
            throw new GgmlException("cannot place tensor " + tensor.name() + " in " + describe() + ": ggml_status " + status);
        }
        tensor.setStorage(this);
    }

    @Override
    void release(long handle) {
        ggml.lib.ggml_backend_buffer_free(handle);
        // Only now, with ggml's buffer gone, may the memory under it go: unmapping it first would fault any reader.
        if (backing != null) {
            try {
                backing.close();
            } catch (Exception e) {
                throw new GgmlException("cannot release the memory under " + describe() + ": " + e.getMessage(), e);
            }
        }
    }
}
