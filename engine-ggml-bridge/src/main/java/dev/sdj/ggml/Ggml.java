package dev.sdj.ggml;

import com.kenai.jffi.Library;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The process's one copy of ggml: loads {@code libggml-base.so} and the registry library from one directory,
 * loads every backend found there with {@code ggml_backend_load_all_from_path}, and records which backends could not
 * be loaded and why. Two copies of ggml-base in one process would each have their own registry, so this is a
 * process-wide singleton.
 */
public final class Ggml {
    private static final Logger LOG = LoggerFactory.getLogger(Ggml.class);
    private static Ggml instance;

    /** Backend libraries we look for, by the registry name ggml gives them once loaded. */
    private static final Map<String, String> KNOWN_BACKENDS = new LinkedHashMap<>();

    static {
        // jnr-ffi 2.3.7's x86-64 stub compiler drops the sixth argument of calls such as ggml_new_tensor_4d
        // (seen here: ne3 arrived as garbage); its ASM-generated invokers pass them correctly.
        if (System.getProperty("jnr.ffi.x86asm.enabled") == null) {
            System.setProperty("jnr.ffi.x86asm.enabled", "false");
        }
        KNOWN_BACKENDS.put("CPU", "libggml-cpu");
        KNOWN_BACKENDS.put("Vulkan", "libggml-vulkan");
        KNOWN_BACKENDS.put("CUDA", "libggml-cuda");
        KNOWN_BACKENDS.put("ROCm", "libggml-hip");
    }

    final GgmlLibrary lib;
    final GgmlInit init;
    private final NativesDirectory natives;
    private final List<AbsentBackend> absent;
    private final Quantization quantization;
    @SuppressWarnings("unused") // ggml keeps only the native stub: the callback must stay reachable while ggml may call it
    private final GgmlLog log;

    private Ggml(NativesDirectory natives) {
        this.natives = natives;
        Path dir = natives.path();
        Path base = dir.resolve("libggml-base.so");
        Path registry = findRegistryLibrary(dir);
        LOG.debug("binding ggml's base and registry libraries");
        try {
            this.lib = LibraryLoader.create(GgmlLibrary.class)
                    .failImmediately()
                    .library(base.toString())
                    .library(registry.toString())
                    .load();
        } catch (Throwable t) {
            throw new GgmlException("cannot load ggml from " + dir + " (" + natives.origin() + "): " + t.getMessage()
                    + "; the libraries need libstdc++6 and a glibc at least as new as the build's", t);
        }
        Library baseHandle = Library.getCachedInstance(base.toString(), Library.LAZY | Library.GLOBAL);
        if (baseHandle == null) {
            throw new GgmlException("cannot open " + base + ": " + Library.getLastError());
        }
        this.init = new GgmlInit(baseHandle.getSymbolAddress("ggml_init"));
        disableAbortBacktrace();
        this.log = new GgmlLog();
        lib.ggml_log_set(log, null);
        LOG.debug("ggml's base and registry libraries loaded; loading its backends (each initialises its devices)");
        lib.ggml_backend_load_all_from_path(dir.toString());
        this.absent = findAbsentBackends(dir);
        LOG.debug("ggml {} loaded from {} ({}); unavailable backends: {}", version(), dir, natives.origin(), absent);
        this.quantization = new Quantization(this);
    }

    /** libc's environment, for the settings ggml reads with getenv at the moment it needs them. */
    public interface LibC {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * On a failed assertion ggml prints a backtrace by starting gdb on the process; inside a JVM that child can wait
     * forever, turning a crash into a hang. Unless the user asked for backtraces, ggml aborts at once instead.
     */
    private static void disableAbortBacktrace() {
        if (System.getenv("GGML_NO_BACKTRACE") == null) {
            LibraryLoader.create(LibC.class).load("c").setenv("GGML_NO_BACKTRACE", "1", 0);
        }
    }

    /** The process's ggml, loaded on first use from {@link NativesDirectory#resolve()}. */
    public static synchronized Ggml get() {
        if (instance == null) {
            instance = new Ggml(NativesDirectory.resolve());
        }
        return instance;
    }

    private static Path findRegistryLibrary(Path dir) {
        Path plain = dir.resolve("libggml.so");
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        // Prebuilt packages name it after their variant, e.g. libggml.vulkan.v0.5.0.so.
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("libggml\\.[^/]*\\.so"))
                    .sorted()
                    .findFirst()
                    .orElseThrow(() -> new GgmlException(dir + " has libggml-base.so but no registry library"
                            + " (libggml.so): is it a complete ggml build with backends as loadable libraries?"));
        } catch (IOException e) {
            throw new GgmlException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private List<AbsentBackend> findAbsentBackends(Path dir) {
        List<AbsentBackend> out = new ArrayList<>();
        for (Map.Entry<String, String> e : KNOWN_BACKENDS.entrySet()) {
            String regName = e.getKey();
            long reg = lib.ggml_backend_reg_by_name(regName);
            Optional<Path> file = backendFile(dir, e.getValue());
            if (reg == 0) {
                if (file.isEmpty()) {
                    out.add(new AbsentBackend(regName, "not in this ggml build (" + dir + " has no "
                            + e.getValue() + "*.so); set " + NativesDirectory.OVERRIDE_ENV
                            + " to a ggml build that has it"));
                } else {
                    out.add(new AbsentBackend(regName, "failed to load " + file.get().getFileName() + ": "
                            + loadError(file.get())));
                }
            } else if (lib.ggml_backend_reg_dev_count(reg) == 0) {
                String hint = regName.equals("Vulkan")
                        ? "; CPU-type Vulkan devices (lavapipe) are hidden unless GGML_VK_VISIBLE_DEVICES is set"
                        : "";
                out.add(new AbsentBackend(regName, "loaded, but it found no devices" + hint));
            }
        }
        return List.copyOf(out);
    }

    private static Optional<Path> backendFile(Path dir, String prefix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(prefix) && n.endsWith(".so");
            }).sorted().findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Asks the dynamic loader itself why a backend library did not load (a missing dependency, usually). */
    private static String loadError(Path file) {
        Library probe = Library.openLibrary(file.toString(), Library.LAZY | Library.LOCAL);
        if (probe == null) {
            String err = Library.getLastError();
            if (err != null && err.contains("libvulkan")) {
                return err + " (install the Vulkan loader: apt-get install -y libvulkan1 mesa-vulkan-drivers)";
            }
            return err;
        }
        return "the library loads, but its backend did not initialise (no usable driver?); run with SDJ_GGML_LOG=info";
    }

    public NativesDirectory natives() {
        return natives;
    }

    public String version() {
        return lib.ggml_version() + " (" + lib.ggml_commit() + ")";
    }

    /** Backends we know of that are not usable here, each with the reason. */
    public List<AbsentBackend> absentBackends() {
        return absent;
    }

    public List<Device> devices() {
        int n = (int) lib.ggml_backend_dev_count();
        List<Device> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new Device(this, lib.ggml_backend_dev_get(i)));
        }
        return out;
    }

    public Optional<Device> device(String name) {
        return devices().stream().filter(d -> d.name().equals(name)).findFirst();
    }

    public Device cpu() {
        return devices().stream().filter(d -> d.type() == DeviceType.CPU).findFirst()
                .orElseThrow(() -> new GgmlException("no CPU device registered: " + absent));
    }

    /** The alignment ggml's CPU buffers need of their memory (TENSOR_ALIGNMENT): a buffer over memory must start on it. */
    public static final long CPU_BUFFER_ALIGNMENT = 32;

    /**
     * A CPU buffer over {@code size} bytes of read-only memory at {@code address} (a model file's mapping), so the CPU
     * backend computes on tensors placed there without a copy. The buffer owns {@code memory}: it is closed after
     * ggml's buffer is freed, never before (closing it under a live buffer would fault any op reading a tensor), and
     * at once when no buffer is made. Writing the buffer's tensors is refused: the memory may be mapped read-only.
     */
    public BackendBuffer cpuBufferOver(long address, long size, AutoCloseable memory, String what) {
        long h = 0;
        try {
            if (address == 0 || address % CPU_BUFFER_ALIGNMENT != 0) {
                throw new GgmlException("cannot make a CPU buffer over " + what + ": address 0x" + Long.toHexString(address)
                        + " is not aligned to " + CPU_BUFFER_ALIGNMENT + " bytes");
            }
            if (size <= 0) {
                throw new IllegalArgumentException("buffer size must be positive, got " + size);
            }
            h = lib.ggml_backend_cpu_buffer_from_ptr(address, size);
            if (h == 0) {
                throw new GgmlException("ggml made no CPU buffer over " + what);
            }
            return new BackendBuffer(this, h, lib.ggml_backend_buffer_name(h) + " buffer over " + what, memory);
        } catch (RuntimeException e) {
            try {
                memory.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * As {@link #cpuBufferOver(long, long, AutoCloseable, String)} over a direct buffer's remaining bytes (a
     * {@code MappedByteBuffer}); the ggml buffer keeps {@code memory} reachable, so the garbage collector cannot unmap
     * it while ggml reads it, and runs {@code release} once ggml's buffer is freed.
     */
    public BackendBuffer cpuBufferOver(java.nio.ByteBuffer memory, java.util.function.Consumer<java.nio.ByteBuffer> release, String what) {
        if (!memory.isDirect()) {
            throw new IllegalArgumentException("a CPU buffer needs native memory: " + what + " is a heap buffer");
        }
        long address = com.kenai.jffi.MemoryIO.getInstance().getDirectBufferAddress(memory) + memory.position();
        return cpuBufferOver(address, memory.remaining(), () -> release.accept(memory), what);
    }

    /** A context for tensor metadata only ({@code no_alloc}): tensor data lives in backend buffers. */
    public GgmlContext newContext(int maxTensors) {
        return newContext(maxTensors, 0);
    }

    /** A metadata context with room for {@code maxTensors} tensors and one graph of {@code graphSize} nodes. */
    public GgmlContext newContext(int maxTensors, int graphSize) {
        long size = lib.ggml_tensor_overhead() * ((long) maxTensors + GgmlContext.ROOM_PER_OP)
                + (graphSize > 0 ? lib.ggml_graph_overhead_custom(graphSize, false) : 0) + 1024;
        return new GgmlContext(this, init.init(size, true), maxTensors, graphSize);
    }

    private final java.util.concurrent.atomic.AtomicLong weightBytesRead = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Bytes read back out of buffers marked as holding weights (tensor reads, device → host copies) since the process
     * started. Weights are meant to travel host → device only: a scheduler's tests watch this stay put.
     */
    public long weightBytesRead() {
        return weightBytesRead.get();
    }

    void countWeightBytesRead(long bytes) {
        weightBytesRead.addAndGet(bytes);
    }

    private final java.util.concurrent.ConcurrentHashMap<Integer, String> opNames = new java.util.concurrent.ConcurrentHashMap<>();

    /** ggml's name of an operation code ("MUL_MAT"); names are looked up once per code. */
    String opName(int op) {
        return opNames.computeIfAbsent(op, lib::ggml_op_name);
    }

    public String typeName(int type) {
        return lib.ggml_type_name(type);
    }

    public long typeSize(GgmlType type) {
        return lib.ggml_type_size(type.value);
    }

    public long blockSize(GgmlType type) {
        return lib.ggml_blck_size(type.value);
    }

    public long rowSize(GgmlType type, long ne0) {
        return lib.ggml_row_size(type.value, ne0);
    }

    /** ggml's quantizers and dequantizers. */
    public Quantization quantization() {
        return quantization;
    }

    /** A backend that ggml knows of but cannot use here. */
    public record AbsentBackend(String name, String reason) {
    }
}
