package dev.sdj.ggml;

import com.kenai.jffi.MemoryIO;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor of a {@link GgmlContext}. Its metadata lives as long as the context; its data lives in a
 * {@link TensorStorage} (a buffer or a graph allocation) and may be read or written only while that is open.
 */
public final class Tensor {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    // Offsets in struct ggml_tensor (x86-64), checked against ggml_nelements/ggml_nbytes by the bridge's tests.
    private static final int OFFSET_TYPE = 0;
    private static final int OFFSET_NE = 16;
    private static final int OFFSET_NB = 48;
    private static final int OFFSET_OP = 80;
    private static final int OFFSET_SRC = 152;
    private static final int MAX_SRC = 10;
    private static final int OFFSET_VIEW_SRC = 232;
    private static final int OFFSET_DATA = 248;

    private final GgmlContext ctx;
    private final long handle;
    private final Tensor viewSource;
    private TensorStorage storage;

    Tensor(GgmlContext ctx, long handle, Tensor viewSource) {
        this.ctx = ctx;
        this.handle = handle;
        this.viewSource = viewSource;
    }

    long handle() {
        ctx.checkOpen();
        return handle;
    }

    public GgmlContext context() {
        return ctx;
    }

    public GgmlType type() {
        int t = MEMORY.getInt(handle() + OFFSET_TYPE);
        return GgmlType.ofValue(t).orElseThrow(() -> new GgmlException("tensor " + name() + " has unknown ggml type " + t));
    }

    /** Element counts per dimension, fastest first (ggml's ne[0..3]). */
    public long[] shape() {
        long h = handle();
        long[] ne = new long[4];
        for (int i = 0; i < 4; i++) {
            ne[i] = MEMORY.getLong(h + OFFSET_NE + 8L * i);
        }
        return ne;
    }

    public long ne(int dim) {
        return MEMORY.getLong(handle() + OFFSET_NE + 8L * dim);
    }

    /** Byte strides per dimension (ggml's nb[0..3]). */
    public long[] strides() {
        long h = handle();
        long[] nb = new long[4];
        for (int i = 0; i < 4; i++) {
            nb[i] = MEMORY.getLong(h + OFFSET_NB + 8L * i);
        }
        return nb;
    }

    public long nbytes() {
        return ctx.ggml().lib.ggml_nbytes(handle());
    }

    public long elementCount() {
        return ctx.ggml().lib.ggml_nelements(handle());
    }

    public int dimensions() {
        return ctx.ggml().lib.ggml_n_dims(handle());
    }

    public boolean isContiguous() {
        return ctx.ggml().lib.ggml_is_contiguous(handle()) != 0;
    }

    public String name() {
        return ctx.ggml().lib.ggml_get_name(handle());
    }

    public Tensor name(String name) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= 64) {
            throw new IllegalArgumentException("ggml tensor names are limited to 63 bytes: " + name);
        }
        ctx.ggml().lib.ggml_set_name(handle(), name);
        return this;
    }

    /** Marks this tensor as a graph input: the graph allocator gives it its own memory. */
    public Tensor asInput() {
        ctx.ggml().lib.ggml_set_input(handle());
        return this;
    }

    /** Marks this tensor as a graph output: the graph allocator never reuses its memory. */
    public Tensor asOutput() {
        ctx.ggml().lib.ggml_set_output(handle());
        return this;
    }

    /**
     * A value that is equal for two {@code Tensor} objects exactly when they stand for the same ggml tensor (while it
     * lives): lets a scheduler match graph nodes' sources against tensors it placed, whichever context wrapped them.
     */
    public long identity() {
        return handle();
    }

    /** The operation that produces this tensor, by ggml's name ("NONE" for leaves such as weights and inputs). */
    public String opName() {
        return ctx.ggml().opName(MEMORY.getInt(handle() + OFFSET_OP));
    }

    /** Whether computing this node does work: false for leaves and for ops that only describe memory (views). */
    public boolean computes() {
        return !NON_COMPUTING.contains(opName());
    }

    private static final java.util.Set<String> NON_COMPUTING = java.util.Set.of("NONE", "VIEW", "RESHAPE", "PERMUTE", "TRANSPOSE");

    /**
     * The {@link #identity() identities} of the tensors whose memory this node reads: each source, with views followed
     * to the tensor that owns the memory.
     */
    public long[] sourceRoots() {
        long h = handle();
        long[] roots = new long[MAX_SRC];
        int n = 0;
        for (int i = 0; i < MAX_SRC; i++) {
            long src = MEMORY.getAddress(h + OFFSET_SRC + 8L * i);
            if (src == 0) {
                continue;
            }
            for (long v = MEMORY.getAddress(src + OFFSET_VIEW_SRC); v != 0; v = MEMORY.getAddress(v + OFFSET_VIEW_SRC)) {
                src = v;
            }
            roots[n++] = src;
        }
        return java.util.Arrays.copyOf(roots, n);
    }

    /** True once the tensor has data memory that is still alive. */
    public boolean hasStorage() {
        TensorStorage s = storage();
        return s != null && s.isOpen();
    }

    TensorStorage storage() {
        if (storage != null) {
            return storage;
        }
        return viewSource != null ? viewSource.storage() : null;
    }

    void setStorage(TensorStorage storage) {
        this.storage = storage;
    }

    boolean hasNativeData() {
        return MEMORY.getAddress(handle() + OFFSET_DATA) != 0;
    }

    /** The handle to pass to data transfers, after checking the data is still alive. */
    long dataHandle() {
        long h = handle();
        TensorStorage s = storage();
        if (s == null) {
            throw new GgmlException("tensor '" + name() + "' has no data memory: allocate it in a buffer first");
        }
        if (!s.isOpen()) {
            throw new GgmlException("tensor '" + name() + "' lived in " + s.describe() + ", which has been freed");
        }
        return h;
    }

    void checkRange(long offset, long size) {
        long n = nbytes();
        if (offset < 0 || size < 0 || offset + size > n) {
            throw new IndexOutOfBoundsException("bytes [" + offset + ", " + (offset + size) + ") outside tensor '"
                    + name() + "' of " + n + " bytes");
        }
    }

    /**
     * Copies this tensor's bytes into {@code dst} (same byte size), whatever buffers the two live in; from a host
     * buffer (pinned or not) this is one upload straight from host memory.
     */
    public void copyTo(Tensor dst) {
        if (dst.nbytes() != nbytes()) {
            throw new IllegalArgumentException("cannot copy " + this + " (" + nbytes() + " bytes) into " + dst + " (" + dst.nbytes() + " bytes)");
        }
        if (storage() instanceof BackendBuffer from && from.holdsWeights() && !from.isHost()
                && dst.storage() instanceof BackendBuffer to && to.isHost()) {
            ctx.ggml().countWeightBytesRead(nbytes());
        }
        ctx.ggml().lib.ggml_backend_tensor_copy(dataHandle(), dst.dataHandle());
    }

    /** Copies {@code size} bytes from native memory at {@code address} into the tensor at byte {@code offset}. */
    public void write(long address, long offset, long size) {
        checkRange(offset, size);
        if (storage() instanceof BackendBuffer b && b.isReadOnly()) {
            throw new GgmlException("tensor '" + name() + "' lives in read-only " + b.describe() + ": it cannot be written");
        }
        ctx.ggml().lib.ggml_backend_tensor_set(dataHandle(), address, offset, size);
    }

    /** Copies {@code size} bytes of the tensor from byte {@code offset} into native memory at {@code address}. */
    public void read(long address, long offset, long size) {
        checkRange(offset, size);
        if (storage() instanceof BackendBuffer b && b.holdsWeights()) {
            ctx.ggml().countWeightBytesRead(size);
        }
        ctx.ggml().lib.ggml_backend_tensor_get(dataHandle(), address, offset, size);
    }

    /** Writes the remaining bytes of a direct buffer at byte {@code offset} of the tensor. */
    public void write(ByteBuffer direct, long offset) {
        requireDirect(direct);
        write(MEMORY.getDirectBufferAddress(direct) + direct.position(), offset, direct.remaining());
    }

    /** Reads into the remaining bytes of a direct buffer from byte {@code offset} of the tensor. */
    public void read(ByteBuffer direct, long offset) {
        requireDirect(direct);
        read(MEMORY.getDirectBufferAddress(direct) + direct.position(), offset, direct.remaining());
    }

    /** Sets every element of an I32 tensor (token ids, row indices, positions). */
    public void setInts(int[] values) {
        if (type() != GgmlType.I32) {
            throw new GgmlException("setInts: tensor '" + name() + "' is " + type().ggmlName() + ", not i32");
        }
        if (values.length != elementCount()) {
            throw new IllegalArgumentException("tensor '" + name() + "' has " + elementCount() + " elements, got "
                    + values.length + " values");
        }
        ByteBuffer i32 = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        i32.asIntBuffer().put(values);
        write(i32, 0);
    }

    /** Sets every element from floats, converting to the tensor's type (F32, F16 or BF16). */
    public void setFloats(float[] values) {
        if (values.length != elementCount()) {
            throw new IllegalArgumentException("tensor '" + name() + "' has " + elementCount() + " elements, got "
                    + values.length + " values");
        }
        ByteBuffer f32 = ByteBuffer.allocateDirect(values.length * 4).order(ByteOrder.nativeOrder());
        f32.asFloatBuffer().put(values);
        GgmlType t = type();
        if (t == GgmlType.F32) {
            write(f32, 0);
            return;
        }
        ByteBuffer half = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.nativeOrder());
        long src = MEMORY.getDirectBufferAddress(f32);
        long dst = MEMORY.getDirectBufferAddress(half);
        switch (t) {
            case F16 -> ctx.ggml().lib.ggml_fp32_to_fp16_row(src, dst, values.length);
            case BF16 -> ctx.ggml().lib.ggml_fp32_to_bf16_row(src, dst, values.length);
            default -> throw new GgmlException("setFloats: tensor '" + name() + "' is " + t.ggmlName()
                    + "; only f32, f16 and bf16 convert from floats");
        }
        write(half, 0);
    }

    /** Reads every element as floats, converting from F32, F16 or BF16. */
    public float[] getFloats() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE / 4) {
            throw new GgmlException("tensor '" + name() + "' is too large to read into a float[]");
        }
        GgmlType t = type();
        ByteBuffer f32 = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder());
        if (t == GgmlType.F32) {
            read(f32, 0);
        } else if (t == GgmlType.F16 || t == GgmlType.BF16) {
            ByteBuffer half = ByteBuffer.allocateDirect((int) n * 2).order(ByteOrder.nativeOrder());
            read(half, 0);
            long src = MEMORY.getDirectBufferAddress(half);
            long dst = MEMORY.getDirectBufferAddress(f32);
            if (t == GgmlType.F16) {
                ctx.ggml().lib.ggml_fp16_to_fp32_row(src, dst, n);
            } else {
                ctx.ggml().lib.ggml_bf16_to_fp32_row(src, dst, n);
            }
        } else {
            throw new GgmlException("getFloats: tensor '" + name() + "' is " + t.ggmlName()
                    + "; only f32, f16 and bf16 convert to floats");
        }
        float[] out = new float[(int) n];
        f32.asFloatBuffer().get(out);
        return out;
    }

    private static void requireDirect(ByteBuffer b) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException("tensor data transfers need a direct ByteBuffer");
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + name() + ", " + type().ggmlName() + ", " + Arrays.toString(shape()) + ")";
    }
}
