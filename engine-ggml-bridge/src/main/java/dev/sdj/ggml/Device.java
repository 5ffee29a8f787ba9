package dev.sdj.ggml;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/** A ggml device (not owned: the registry keeps it for the life of the process). */
public final class Device {
    private final Ggml ggml;
    final long handle;

    Device(Ggml ggml, long handle) {
        if (handle == 0) {
            throw new GgmlException("ggml returned a NULL device");
        }
        this.ggml = ggml;
        this.handle = handle;
    }

    public String name() {
        return ggml.lib.ggml_backend_dev_name(handle);
    }

    public String description() {
        return ggml.lib.ggml_backend_dev_description(handle);
    }

    public DeviceType type() {
        return DeviceType.of(ggml.lib.ggml_backend_dev_type(handle));
    }

    /** The registry (backend) this device belongs to, e.g. CPU, Vulkan, CUDA. */
    public String backendName() {
        return ggml.lib.ggml_backend_reg_name(ggml.lib.ggml_backend_dev_backend_reg(handle));
    }

    /** ggml's own view of this device's memory, read now. */
    public Memory memory() {
        Pointer both = jnr.ffi.Memory.allocateDirect(Runtime.getRuntime(ggml.lib), 16);
        ggml.lib.ggml_backend_dev_memory(handle, both, both.slice(8));
        return new Memory(both.getLong(8), both.getLong(0));
    }

    public BufferType bufferType() {
        return new BufferType(ggml, ggml.lib.ggml_backend_dev_buffer_type(handle), "buffer type of " + name());
    }

    /** The pinned host buffer type uploads to this device go fastest from, if the backend has one. */
    public java.util.Optional<BufferType> hostBufferType() {
        long h = ggml.lib.ggml_backend_dev_host_buffer_type(handle);
        return h == 0 ? java.util.Optional.empty() : java.util.Optional.of(new BufferType(ggml, h, "host buffer type of " + name()));
    }

    /** Starts a backend (a stream of work) on this device. CPU backends need {@link Backend#setThreads}. */
    public Backend open() {
        return new Backend(ggml, this, ggml.lib.ggml_backend_dev_init(handle, null));
    }

    public boolean supports(Tensor op) {
        return ggml.lib.ggml_backend_dev_supports_op(handle, op.handle()) != 0;
    }

    /** An event for ordering work across backends; empty when the device has none (the CPU backend). */
    public java.util.Optional<BackendEvent> newEvent() {
        long h = ggml.lib.ggml_backend_event_new(handle);
        return h == 0 ? java.util.Optional.empty() : java.util.Optional.of(new BackendEvent(ggml, h, "event on " + name()));
    }

    long registry() {
        return ggml.lib.ggml_backend_dev_backend_reg(handle);
    }

    @Override
    public String toString() {
        return backendName() + ":" + name();
    }

    /** Bytes total and free, as ggml reports them. */
    public record Memory(long total, long free) {
    }
}
