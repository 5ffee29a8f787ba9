package dev.sdj.ggml;

/**
 * An owned native resource released exactly once. After {@link #close()} every use goes through {@link #handle()},
 * which throws instead of handing a dangling pointer to C.
 */
abstract class NativeHandle implements AutoCloseable {
    private final String what;
    private long handle;

    NativeHandle(String what, long handle) {
        if (handle == 0) {
            throw new GgmlException(what + ": ggml returned NULL");
        }
        this.what = what;
        this.handle = handle;
    }

    final synchronized long handle() {
        if (handle == 0) {
            throw new GgmlException(what + " has been freed");
        }
        return handle;
    }

    public final synchronized boolean isOpen() {
        return handle != 0;
    }

    /** What this resource is, for error messages. */
    public final String describe() {
        return what;
    }

    @Override
    public final void close() {
        long h;
        synchronized (this) {
            h = handle;
            handle = 0;
        }
        if (h != 0) {
            release(h);
        }
    }

    abstract void release(long handle);
}
