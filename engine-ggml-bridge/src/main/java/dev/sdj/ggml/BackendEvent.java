package dev.sdj.ggml;

/** A point in a backend's stream of work that others can wait for. */
public final class BackendEvent extends NativeHandle {
    private final Ggml ggml;

    BackendEvent(Ggml ggml, long handle, String what) {
        super(what, handle);
        this.ggml = ggml;
    }

    /** Blocks until the work recorded before this event has finished. */
    public void synchronize() {
        ggml.lib.ggml_backend_event_synchronize(handle());
    }

    @Override
    void release(long handle) {
        ggml.lib.ggml_backend_event_free(handle);
    }
}
