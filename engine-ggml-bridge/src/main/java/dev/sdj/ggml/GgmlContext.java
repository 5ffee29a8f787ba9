package dev.sdj.ggml;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A ggml context holding tensor metadata ({@code no_alloc}: data lives in backend buffers) and the ops that build
 * graphs over those tensors. ggml aborts the process when a context runs out of room or an op's shapes do not fit,
 * so room is checked here before each call, and the shape and type rules of the ops (ggml's {@code GGML_ASSERT}s at
 * graph-building time) are checked in Java: a violation is a {@link GgmlException}, never an abort.
 */
public final class GgmlContext extends NativeHandle {
    /** The most tensors one op creates internally (conv_2d: im2col, mul_mat, reshapes, permute, cont). */
    static final int ROOM_PER_OP = 8;

    private final Ggml ggml;
    private final GgmlLibrary lib;
    private final Map<Long, Tensor> tensors = new HashMap<>();
    private final List<TensorStorage> storages = new ArrayList<>();
    private final long tensorOverhead;
    /** The bytes kept for the context's graph: tensors may not take them (ggml would crash creating the graph). */
    private final long graphReserve;

    GgmlContext(Ggml ggml, long handle, int maxTensors, int graphSize) {
        super("ggml context for " + maxTensors + " tensors" + (graphSize > 0 ? " and a graph of " + graphSize : ""), handle);
        this.ggml = ggml;
        this.lib = ggml.lib;
        this.tensorOverhead = lib.ggml_tensor_overhead();
        this.graphReserve = graphSize > 0 ? lib.ggml_graph_overhead_custom(graphSize, false) : 0;
    }

    Ggml ggml() {
        return ggml;
    }

    void checkOpen() {
        handle();
    }

    private long room() {
        long ctx = handle();
        if (lib.ggml_used_mem(ctx) + ROOM_PER_OP * tensorOverhead + graphReserve > lib.ggml_get_mem_size(ctx)) {
            throw new GgmlException(describe() + " is full: create it with room for more tensors");
        }
        return ctx;
    }

    private Tensor wrap(long h, String op) {
        return wrap(h, op, null);
    }

    private Tensor wrap(long h, String op, Tensor viewSource) {
        if (h == 0) {
            throw new GgmlException(op + " returned NULL");
        }
        return tensors.computeIfAbsent(h, k -> new Tensor(this, k, viewSource));
    }

    /** The wrapper of a tensor this context created (graph nodes included). */
    Tensor tensorAt(long handle) {
        Tensor t = tensors.get(handle);
        if (t == null) {
            throw new GgmlException("tensor at 0x" + Long.toHexString(handle) + " was not created through " + describe());
        }
        return t;
    }

    /** Tensors created so far, in creation order. */
    public List<Tensor> tensors() {
        List<Tensor> out = new ArrayList<>();
        long ctx = handle();
        for (long t = lib.ggml_get_first_tensor(ctx); t != 0; t = lib.ggml_get_next_tensor(ctx, t)) {
            Tensor w = tensors.get(t);
            if (w != null) {
                out.add(w);
            }
        }
        return out;
    }

    /** Every tensor without memory yet now lives in {@code storage} (ggml allocated them all there). */
    void adoptStorage(TensorStorage storage) {
        storages.add(storage);
        for (Tensor t : tensors.values()) {
            if (t.storage() == null && t.hasNativeData()) {
                t.setStorage(storage);
            }
        }
    }

    // --- tensors ---

    public Tensor newTensor(GgmlType type, long... shape) {
        if (shape.length < 1 || shape.length > 4) {
            throw new GgmlException("ggml tensors have 1 to 4 dimensions, got " + shape.length);
        }
        long elements = 1;
        for (long n : shape) {
            if (n <= 0) {
                throw new GgmlException("dimension sizes must be positive: " + java.util.Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, n);
        }
        if (shape[0] % ggml.blockSize(type) != 0) {
            throw new GgmlException("the first dimension of a " + type.ggmlName() + " tensor must be a multiple of "
                    + ggml.blockSize(type) + ", got " + shape[0]);
        }
        long ctx = room();
        long h = switch (shape.length) {
            case 1 -> lib.ggml_new_tensor_1d(ctx, type.value, shape[0]);
            case 2 -> lib.ggml_new_tensor_2d(ctx, type.value, shape[0], shape[1]);
            case 3 -> lib.ggml_new_tensor_3d(ctx, type.value, shape[0], shape[1], shape[2]);
            default -> lib.ggml_new_tensor_4d(ctx, type.value, shape[0], shape[1], shape[2], shape[3]);
        };
        return wrap(h, "ggml_new_tensor");
    }

    // --- views and layout ---

    /**
     * ggml asserts that a view's contiguous size fits its source from the offset; every element the strides reach
     * must too, or the view reads beyond the source's memory.
     */
    private void requireView(Tensor a, long[] ne, long[] nb, long offset) {
        GgmlType type = a.type();
        long block = ggml.blockSize(type);
        for (long n : ne) {
            if (n < 1) {
                throw new GgmlException("view of " + a + ": dimension sizes must be positive: " + java.util.Arrays.toString(ne));
            }
        }
        if (offset < 0 || ne[0] % block != 0) {
            throw new GgmlException("view of " + a + ": offset " + offset + " or row length " + ne[0] + " does not fit " + type.ggmlName());
        }
        try {
            long size = ggml.rowSize(type, ne[0]);
            long extent = ggml.rowSize(type, ne[0]);
            for (int i = 1; i < ne.length; i++) {
                size = Math.multiplyExact(size, ne[i]);
                extent = Math.addExact(extent, Math.multiplyExact(ne[i] - 1, nb[i - 1]));
            }
            if (Math.addExact(offset, Math.max(size, extent)) > a.nbytes()) {
                throw new GgmlException("view " + java.util.Arrays.toString(ne) + " at offset " + offset + " reaches beyond " + a);
            }
        } catch (ArithmeticException e) {
            throw new GgmlException("view of " + a + " overflows: " + java.util.Arrays.toString(ne));
        }
    }

    public Tensor view1d(Tensor a, long ne0, long offset) {
        requireView(a, new long[] {ne0}, new long[0], offset);
        return wrap(lib.ggml_view_1d(room(), a.handle(), ne0, offset), "ggml_view_1d", a);
    }

    public Tensor view2d(Tensor a, long ne0, long ne1, long nb1, long offset) {
        requireView(a, new long[] {ne0, ne1}, new long[] {nb1}, offset);
        return wrap(lib.ggml_view_2d(room(), a.handle(), ne0, ne1, nb1, offset), "ggml_view_2d", a);
    }

    public Tensor view3d(Tensor a, long ne0, long ne1, long ne2, long nb1, long nb2, long offset) {
        requireView(a, new long[] {ne0, ne1, ne2}, new long[] {nb1, nb2}, offset);
        return wrap(lib.ggml_view_3d(room(), a.handle(), ne0, ne1, ne2, nb1, nb2, offset), "ggml_view_3d", a);
    }

    public Tensor view4d(Tensor a, long ne0, long ne1, long ne2, long ne3, long nb1, long nb2, long nb3, long offset) {
        requireView(a, new long[] {ne0, ne1, ne2, ne3}, new long[] {nb1, nb2, nb3}, offset);
        return wrap(lib.ggml_view_4d(room(), a.handle(), ne0, ne1, ne2, ne3, nb1, nb2, nb3, offset), "ggml_view_4d", a);
    }

    public Tensor reshape(Tensor a, long... shape) {
        long product = 1;
        for (long n : shape) {
            if (n < 1 || shape.length > 4) {
                throw new GgmlException("cannot reshape " + a + " to " + java.util.Arrays.toString(shape));
            }
            product = product > Long.MAX_VALUE / n ? -1 : product * n;
        }
        if (shape.length == 0 || product != a.elementCount() || shape[0] % ggml.blockSize(a.type()) != 0) {
            throw new GgmlException("cannot reshape " + a + " to " + java.util.Arrays.toString(shape));
        }
        if (!a.isContiguous()) {
            throw new GgmlException("reshape needs a contiguous tensor: cont() " + a + " first");
        }
        long ctx = room();
        long h = switch (shape.length) {
            case 1 -> lib.ggml_reshape_1d(ctx, a.handle(), shape[0]);
            case 2 -> lib.ggml_reshape_2d(ctx, a.handle(), shape[0], shape[1]);
            case 3 -> lib.ggml_reshape_3d(ctx, a.handle(), shape[0], shape[1], shape[2]);
            case 4 -> lib.ggml_reshape_4d(ctx, a.handle(), shape[0], shape[1], shape[2], shape[3]);
            default -> throw new GgmlException("ggml tensors have 1 to 4 dimensions");
        };
        return wrap(h, "ggml_reshape", a);
    }

    /** Source dimension i moves to position axis_i (ggml's convention). */
    public Tensor permute(Tensor a, int axis0, int axis1, int axis2, int axis3) {
        int[] axes = {axis0, axis1, axis2, axis3};
        boolean[] seen = new boolean[4];
        for (int ax : axes) {
            if (ax < 0 || ax > 3 || seen[ax]) {
                throw new GgmlException("permute axes must be a permutation of 0..3: " + java.util.Arrays.toString(axes));
            }
            seen[ax] = true;
        }
        return wrap(lib.ggml_permute(room(), a.handle(), axis0, axis1, axis2, axis3), "ggml_permute", a);
    }

    public Tensor transpose(Tensor a) {
        return wrap(lib.ggml_transpose(room(), a.handle()), "ggml_transpose", a);
    }

    public Tensor cont(Tensor a) {
        return wrap(lib.ggml_cont(room(), a.handle()), "ggml_cont");
    }

    /** Copies {@code a} into {@code b} (converting type); the result is a view of {@code b}. */
    public Tensor copy(Tensor a, Tensor b) {
        if (a.elementCount() != b.elementCount()) {
            throw new GgmlException("copy needs equal element counts: " + a + " -> " + b);
        }
        return wrap(lib.ggml_cpy(room(), a.handle(), b.handle()), "ggml_cpy", b);
    }

    public Tensor cast(Tensor a, GgmlType type) {
        if (a.ne(0) % ggml.blockSize(type) != 0) {
            throw new GgmlException("cannot cast " + a + " to " + type.ggmlName() + ": rows are not whole blocks");
        }
        return wrap(lib.ggml_cast(room(), a.handle(), type.value), "ggml_cast");
    }

    public Tensor concat(Tensor a, Tensor b, int dim) {
        if (dim < 0 || dim > 3 || a.type() != b.type()) {
            throw new GgmlException("concat needs one type and a dimension 0..3: " + a + ", " + b + ", dim " + dim);
        }
        long[] sa = a.shape();
        long[] sb = b.shape();
        for (int i = 0; i < 4; i++) {
            if (i != dim && sa[i] != sb[i]) {
                throw new GgmlException("concat along " + dim + " needs equal other dimensions: " + a + ", " + b);
            }
        }
        return wrap(lib.ggml_concat(room(), a.handle(), b.handle(), dim), "ggml_concat");
    }

    /** Rows of {@code a} picked by the I32 indices in {@code rows}. */
    public Tensor getRows(Tensor a, Tensor rows) {
        if (rows.type() != GgmlType.I32 || a.ne(2) != rows.ne(1) || rows.ne(3) != 1) {
            throw new GgmlException("get_rows needs i32 indices [n, " + a.ne(2) + "]: " + rows + " for " + a);
        }
        return wrap(lib.ggml_get_rows(room(), a.handle(), rows.handle()), "ggml_get_rows");
    }

    // --- arithmetic ---

    /**
     * ggml asserts that b repeats onto a; its CPU kernels then abort on operand types other than float a with b of
     * a's type or f32.
     */
    private static void requireBroadcastable(String op, Tensor a, Tensor b) {
        long[] sa = a.shape();
        long[] sb = b.shape();
        for (int i = 0; i < 4; i++) {
            if (sa[i] % sb[i] != 0) {
                throw new GgmlException(op + ": " + b + " does not repeat onto " + a);
            }
        }
        GgmlType ta = a.type();
        boolean floatA = ta == GgmlType.F32 || ta == GgmlType.F16 || ta == GgmlType.BF16;
        if (!floatA || (b.type() != ta && b.type() != GgmlType.F32)) {
            throw new GgmlException(op + ": operand types " + ta.ggmlName() + " and " + b.type().ggmlName() + " are not supported");
        }
    }

    public Tensor add(Tensor a, Tensor b) {
        requireBroadcastable("add", a, b);
        return wrap(lib.ggml_add(room(), a.handle(), b.handle()), "ggml_add");
    }

    public Tensor sub(Tensor a, Tensor b) {
        requireBroadcastable("sub", a, b);
        return wrap(lib.ggml_sub(room(), a.handle(), b.handle()), "ggml_sub");
    }

    public Tensor mul(Tensor a, Tensor b) {
        requireBroadcastable("mul", a, b);
        return wrap(lib.ggml_mul(room(), a.handle(), b.handle()), "ggml_mul");
    }

    public Tensor div(Tensor a, Tensor b) {
        requireBroadcastable("div", a, b);
        return wrap(lib.ggml_div(room(), a.handle(), b.handle()), "ggml_div");
    }

    public Tensor scale(Tensor a, float s) {
        return wrap(lib.ggml_scale(room(), a.handle(), s), "ggml_scale");
    }

    /**
     * {@code a} [K, N, ...] times {@code b} [K, M, ...] gives f32 [N, M, ...]: each output element is the dot
     * product of a row of a and a row of b; b's outer dimensions broadcast a's.
     */
    public Tensor mulMat(Tensor a, Tensor b) {
        long[] sa = a.shape();
        long[] sb = b.shape();
        if (sa[0] != sb[0] || sb[2] % sa[2] != 0 || sb[3] % sa[3] != 0 || a.strides()[0] > a.strides()[1]) {
            throw new GgmlException("mul_mat shapes do not fit: " + a + " x " + b);
        }
        return wrap(lib.ggml_mul_mat(room(), a.handle(), b.handle()), "ggml_mul_mat");
    }

    /** Asks for f32 accumulation in a mul_mat or flash-attention result (some GPU backends default to f16). */
    public Tensor accumulateInF32(Tensor op) {
        if (lib.ggml_prec_set_acc(op.handle(), 10) == 0) {
            throw new GgmlException(op + " is not a mul_mat or flash attention result");
        }
        return op;
    }

    // --- normalisation ---

    public Tensor norm(Tensor a, float eps) {
        return wrap(lib.ggml_norm(room(), a.handle(), eps), "ggml_norm");
    }

    public Tensor rmsNorm(Tensor a, float eps) {
        return wrap(lib.ggml_rms_norm(room(), a.handle(), eps), "ggml_rms_norm");
    }

    /** Normalises groups of channels (dimension 2) over width, height and the group's channels. */
    public Tensor groupNorm(Tensor a, int groups, float eps) {
        if (groups <= 0 || a.ne(2) % groups != 0) {
            throw new GgmlException("group_norm: " + a.ne(2) + " channels do not split into " + groups + " groups");
        }
        return wrap(lib.ggml_group_norm(room(), a.handle(), groups, eps), "ggml_group_norm");
    }

    // --- activations ---

    public Tensor gelu(Tensor a) {
        return wrap(lib.ggml_gelu(room(), a.handle()), "ggml_gelu");
    }

    public Tensor geluQuick(Tensor a) {
        return wrap(lib.ggml_gelu_quick(room(), a.handle()), "ggml_gelu_quick");
    }

    public Tensor geluErf(Tensor a) {
        return wrap(lib.ggml_gelu_erf(room(), a.handle()), "ggml_gelu_erf");
    }

    public Tensor silu(Tensor a) {
        return wrap(lib.ggml_silu(room(), a.handle()), "ggml_silu");
    }

    public Tensor relu(Tensor a) {
        return wrap(lib.ggml_relu(room(), a.handle()), "ggml_relu");
    }

    public Tensor tanh(Tensor a) {
        return wrap(lib.ggml_tanh(room(), a.handle()), "ggml_tanh");
    }

    public Tensor sigmoid(Tensor a) {
        return wrap(lib.ggml_sigmoid(room(), a.handle()), "ggml_sigmoid");
    }

    public Tensor sin(Tensor a) {
        requireF32("sin", a);
        return wrap(lib.ggml_sin(room(), a.handle()), "ggml_sin");
    }

    public Tensor exp(Tensor a) {
        requireF32("exp", a);
        return wrap(lib.ggml_exp(room(), a.handle()), "ggml_exp");
    }

    public Tensor sqrt(Tensor a) {
        requireF32("sqrt", a);
        return wrap(lib.ggml_sqrt(room(), a.handle()), "ggml_sqrt");
    }

    /** The natural logarithm of each element. */
    public Tensor log(Tensor a) {
        requireF32("log", a);
        return wrap(lib.ggml_log(room(), a.handle()), "ggml_log");
    }

    /** Each element limited to [min, max]. */
    public Tensor clamp(Tensor a, float min, float max) {
        requireF32("clamp", a);
        if (!(min <= max)) {
            throw new GgmlException("clamp needs min <= max, got " + min + " and " + max);
        }
        return wrap(lib.ggml_clamp(room(), a.handle(), min, max), "ggml_clamp");
    }

    /** ggml's CPU kernels of these ops abort on types other than f32 and f16; the models only need f32. */
    private static void requireF32(String op, Tensor a) {
        if (a.type() != GgmlType.F32) {
            throw new GgmlException(op + " takes f32 tensors, not " + a);
        }
    }

    // --- attention ---

    /** Sets elements above the diagonal (column > row + nPast) to −∞: a causal attention mask. */
    public Tensor causalMask(Tensor a, int nPast) {
        return wrap(lib.ggml_diag_mask_inf(room(), a.handle(), nPast), "ggml_diag_mask_inf");
    }

    public Tensor softMax(Tensor a) {
        requireContiguous("soft_max", a);
        return wrap(lib.ggml_soft_max(room(), a.handle()), "ggml_soft_max");
    }

    private static void requireContiguous(String op, Tensor a) {
        if (!a.isContiguous()) {
            throw new GgmlException(op + " needs a contiguous tensor: cont() " + a + " first");
        }
    }

    /** softmax(a * scale + mask) along dimension 0; {@code mask} may be null. */
    public Tensor softMax(Tensor a, Tensor mask, float scale) {
        requireContiguous("soft_max", a);
        if (mask != null && (mask.ne(0) != a.ne(0) || mask.ne(1) < a.ne(1) || !mask.isContiguous()
                || (mask.type() != GgmlType.F16 && mask.type() != GgmlType.F32) || a.ne(2) % mask.ne(2) != 0 || a.ne(3) % mask.ne(3) != 0)) {
            throw new GgmlException("soft_max mask " + mask + " does not cover " + a);
        }
        return wrap(lib.ggml_soft_max_ext(room(), a.handle(), mask == null ? 0 : mask.handle(), scale, 0f),
                "ggml_soft_max_ext");
    }

    /**
     * Fused attention. q [d, tokens, heads, batch], k and v [d, kvTokens, kvHeads, batch], mask (f16, may be null)
     * [kvTokens, tokens]; the f32 result is [dv, heads, tokens, batch] (heads before tokens).
     */
    public Tensor flashAttention(Tensor q, Tensor k, Tensor v, Tensor mask, float scale) {
        if (q.ne(0) != k.ne(0) || k.ne(1) != v.ne(1) || q.ne(2) % k.ne(2) != 0 || q.ne(3) != k.ne(3)) {
            throw new GgmlException("flash_attn_ext shapes do not fit: q " + q + ", k " + k + ", v " + v);
        }
        if (mask != null && (mask.type() != GgmlType.F16 || mask.ne(0) != k.ne(1) || mask.ne(1) < q.ne(1))) {
            throw new GgmlException("flash_attn_ext mask must be f16 [kvTokens, >=tokens]: " + mask);
        }
        return wrap(lib.ggml_flash_attn_ext(room(), q.handle(), k.handle(), v.handle(),
                mask == null ? 0 : mask.handle(), scale, 0f, 0f), "ggml_flash_attn_ext");
    }

    // --- convolution and resampling ---

    /** ggml asserts the channel counts agree and the output has at least one pixel. */
    private static void requireConv(Tensor kernel, Tensor input, int stride, int padding) {
        if (kernel.ne(2) != input.ne(2) || stride < 1 || padding < 0) {
            throw new GgmlException("conv kernel " + kernel + " does not match input " + input);
        }
        for (int d = 0; d < 2; d++) {
            if (input.ne(d) + 2L * padding - kernel.ne(d) < 0) {
                throw new GgmlException("conv kernel " + kernel + " is larger than the padded input " + input);
            }
        }
    }

    /**
     * im2col + mul_mat convolution. kernel [KW, KH, Cin, Cout], input [W, H, Cin, N] give f32 [OW, OH, Cout, N].
     * This is ggml_conv_2d's composition with the product accumulated in f32: ggml-vulkan otherwise accumulates an
     * f16 im2col product in f16 (6.4e-3 relative error for a 3×3×64 convolution on lavapipe, against 4e-4 on the
     * CPU), which grows with the channel count of real models.
     */
    public Tensor conv2d(Tensor kernel, Tensor input, int stride, int padding) {
        requireConv(kernel, input, stride, padding);
        if (kernel.type() != GgmlType.F32 && kernel.type() != GgmlType.F16) {
            // The kernel is the product's second operand, which backends take in f32 or f16 only (ggml-vulkan says
            // it supports a bf16 one, then asserts), and im2col writes no quantized columns.
            throw new GgmlException("conv2d takes f32 or f16 kernels, got " + kernel);
        }
        GgmlType columns = kernel.type();
        long[] k = kernel.shape();
        Tensor im2col = wrap(lib.ggml_im2col(room(), kernel.handle(), input.handle(), stride, stride, padding, padding, 1, 1,
                true, columns.value), "ggml_im2col");                                   // [Cin·KH·KW, OW, OH, N]
        long[] c = im2col.shape();
        Tensor product = accumulateInF32(mulMat(reshape(im2col, c[0], c[1] * c[2] * c[3]),
                reshape(kernel, k[0] * k[1] * k[2], k[3])));                            // [OW·OH·N, Cout]
        return cont(permute(reshape(product, c[1], c[2], c[3], k[3]), 0, 1, 3, 2));       // [OW, OH, Cout, N]
    }

    /**
     * Unpadded, unstrided 3-D convolution (im2col_3d + mul_mat, the product accumulated in f32 as in [conv2d]).
     * kernel [KW, KH, KT, Cin·Cout] (a PyTorch [Cout, Cin, KT, KH, KW] kernel with its two outer dimensions folded),
     * input [W, H, T, Cin] give f32 [W − KW + 1, H − KH + 1, T − KT + 1, Cout]. Callers pad as their model pads
     * (replicated frames, reflected borders), which ggml's zero padding cannot express.
     */
    public Tensor conv3d(Tensor kernel, Tensor input) {
        long cin = input.ne(3);
        if (kernel.type() != GgmlType.F32 && kernel.type() != GgmlType.F16) {
            throw new GgmlException("conv3d takes f32 or f16 kernels, got " + kernel);
        }
        if (input.type() != GgmlType.F32) {
            throw new GgmlException("conv3d takes an f32 input, got " + input);
        }
        if (cin < 1 || kernel.ne(3) % cin != 0) {
            throw new GgmlException("conv3d kernel " + kernel + " does not fold " + cin + " input channels (input " + input + ")");
        }
        for (int d = 0; d < 3; d++) {
            if (input.ne(d) < kernel.ne(d)) {
                throw new GgmlException("conv3d kernel " + kernel + " is larger than the input " + input);
            }
        }
        long cout = kernel.ne(3) / cin;
        Tensor im2col = wrap(lib.ggml_im2col_3d(room(), kernel.handle(), input.handle(), cin, 1, 1, 1, 0, 0, 0, 1, 1, 1,
                kernel.type().value), "ggml_im2col_3d");                          // [Cin·KT·KH·KW, OW, OH, OT]
        long[] c = im2col.shape();
        Tensor product = accumulateInF32(mulMat(reshape(im2col, c[0], c[1] * c[2] * c[3]),
                reshape(kernel, c[0], cout)));                                    // [OW·OH·OT, Cout]
        return reshape(product, c[1], c[2], c[3], cout);
    }

    /** Direct convolution (no im2col buffer); the result has the input's type. */
    public Tensor conv2dDirect(Tensor kernel, Tensor input, int stride, int padding) {
        requireConv(kernel, input, stride, padding);
        return wrap(lib.ggml_conv_2d_direct(room(), kernel.handle(), input.handle(), stride, stride, padding, padding, 1, 1),
                "ggml_conv_2d_direct");
    }

    /** Transposed convolution without padding. kernel [KW, KH, Cout, Cin], input [W, H, Cin, N]. */
    public Tensor convTranspose2d(Tensor kernel, Tensor input, int stride) {
        if (kernel.ne(3) != input.ne(2) || stride < 1) {
            throw new GgmlException("conv_transpose kernel " + kernel + " does not match input " + input);
        }
        return wrap(lib.ggml_conv_transpose_2d_p0(room(), kernel.handle(), input.handle(), stride), "ggml_conv_transpose_2d_p0");
    }

    /**
     * 1-D im2col: input [T, Cin, N] (f32) gives the columns [Cin·K, OT, N] of a kernel of K taps over Cin channels
     * ({@code kernel} [K, Cin, ...] only gives K and Cin), zero-padded by {@code padding} on both ends, in
     * {@code columns} (f32 or f16). Column element ci·K + k of output position t is input[t·stride + k·dilation −
     * padding, ci].
     */
    public Tensor im2col1d(Tensor kernel, Tensor input, int stride, int padding, int dilation, GgmlType columns) {
        if (kernel.ne(1) != input.ne(1) || input.ne(3) != 1 || stride < 1 || padding < 0 || dilation < 1) {
            throw new GgmlException("im2col kernel " + kernel + " does not match input " + input + " (stride " + stride
                    + ", padding " + padding + ", dilation " + dilation + ")");
        }
        if (input.type() != GgmlType.F32 || (columns != GgmlType.F32 && columns != GgmlType.F16)) {
            throw new GgmlException("im2col takes an f32 input and makes f32 or f16 columns, not " + input + " into " + columns.ggmlName());
        }
        if (input.ne(0) + 2L * padding - dilation * (kernel.ne(0) - 1) - 1 < 0) {
            throw new GgmlException("im2col kernel " + kernel + " (dilation " + dilation + ") is longer than the padded input " + input);
        }
        return wrap(lib.ggml_im2col(room(), kernel.handle(), input.handle(), stride, 0, padding, 0, dilation, 0, false, columns.value),
                "ggml_im2col");
    }

    /**
     * 1-D convolution, zero-padded by {@code padding} at both ends: kernel [K, Cin, Cout] (any type a matrix product
     * takes as its first operand: a weight stored as the checkpoint's bf16 or a quantized type convolves as it is),
     * input [T, Cin] f32 give f32 [T + 2·padding − dilation·(K − 1), Cout]. im2col columns in f16 when the kernel is
     * f16 (the CPU product converts them to f16 anyway), else f32; the product accumulates in f32 as in {@link #conv2d}.
     */
    public Tensor conv1d(Tensor kernel, Tensor input, int padding, int dilation) {
        if (kernel.ne(3) != 1 || input.ne(2) != 1) {
            throw new GgmlException("conv1d takes a kernel [K, Cin, Cout] and an input [T, Cin], not " + kernel + " and " + input);
        }
        GgmlType columns = kernel.type() == GgmlType.F16 ? GgmlType.F16 : GgmlType.F32;
        Tensor cols = im2col1d(kernel, input, 1, padding, dilation, columns);                  // [Cin·K, OT]
        long[] k = kernel.shape();
        Tensor product = accumulateInF32(mulMat(reshape(kernel, k[0] * k[1], k[2]), reshape(cols, cols.ne(0), cols.ne(1)))); // [Cout, OT]
        return cont(transpose(product));                                                    // [OT, Cout]
    }

    /**
     * Transposed 1-D convolution without padding: kernel [K, Cout, Cin] (PyTorch's ConvTranspose1d weight; f32, or f16
     * on the CPU backend), input [T, Cin] f32 give f32 [(T − 1)·stride + K, Cout].
     */
    public Tensor convTranspose1d(Tensor kernel, Tensor input, int stride) {
        if (kernel.ne(2) != input.ne(1) || kernel.ne(3) != 1 || input.ne(2) != 1 || input.ne(3) != 1 || stride < 1) {
            throw new GgmlException("conv_transpose_1d kernel " + kernel + " does not match input " + input + " (stride " + stride + ")");
        }
        if ((kernel.type() != GgmlType.F32 && kernel.type() != GgmlType.F16) || input.type() != GgmlType.F32) {
            throw new GgmlException("conv_transpose_1d takes an f32 or f16 kernel and an f32 input, not " + kernel + " and " + input);
        }
        return wrap(lib.ggml_conv_transpose_1d(room(), kernel.handle(), input.handle(), stride, 0, 1), "ggml_conv_transpose_1d");
    }

    private static void requirePadding(Tensor a, int... padding) {
        for (int p : padding) {
            if (p < 0) {
                throw new GgmlException("padding must not be negative: " + java.util.Arrays.toString(padding) + " for " + a);
            }
        }
        if (a.type() != GgmlType.F32) {
            throw new GgmlException("pad takes f32 tensors, not " + a);
        }
    }

    /** Zero padding at the end of each dimension. */
    public Tensor pad(Tensor a, int p0, int p1, int p2, int p3) {
        requirePadding(a, p0, p1, p2, p3);
        return wrap(lib.ggml_pad(room(), a.handle(), p0, p1, p2, p3), "ggml_pad");
    }

    /** Zero padding before and after each dimension. */
    public Tensor pad(Tensor a, int lp0, int rp0, int lp1, int rp1, int lp2, int rp2, int lp3, int rp3) {
        requirePadding(a, lp0, rp0, lp1, rp1, lp2, rp2, lp3, rp3);
        return wrap(lib.ggml_pad_ext(room(), a.handle(), lp0, rp0, lp1, rp1, lp2, rp2, lp3, rp3), "ggml_pad_ext");
    }

    /** Nearest-neighbour upscale of width and height by an integer factor (> 1). */
    public Tensor upscaleNearest(Tensor a, int factor) {
        if (factor < 2) {
            throw new GgmlException("upscale factor must be at least 2, got " + factor);
        }
        requireResample(a, Math.multiplyExact(a.ne(0), (long) factor), Math.multiplyExact(a.ne(1), (long) factor), a.ne(2), a.ne(3));
        return wrap(lib.ggml_upscale(room(), a.handle(), factor, 0), "ggml_upscale");
    }

    private static void requireResample(Tensor a, long... shape) {
        if (a.type() != GgmlType.F32) {
            throw new GgmlException("resampling takes f32 tensors, not " + a);
        }
        for (long n : shape) {
            if (n < 1) {
                throw new GgmlException("cannot resample " + a + " to " + java.util.Arrays.toString(shape));
            }
        }
    }

    public enum Interpolation {
        NEAREST(0), BILINEAR(1), BICUBIC(2);
        final int mode;

        Interpolation(int mode) {
            this.mode = mode;
        }
    }

    /** Resamples an f32 tensor to the given shape. */
    public Tensor interpolate(Tensor a, Interpolation mode, boolean alignCorners, long ne0, long ne1, long ne2, long ne3) {
        requireResample(a, ne0, ne1, ne2, ne3);
        int flags = mode.mode | (alignCorners ? 1 << 8 : 0);
        return wrap(lib.ggml_interpolate(room(), a.handle(), ne0, ne1, ne2, ne3, flags), "ggml_interpolate");
    }

    // --- positions and timesteps ---

    public Tensor arange(float start, float stop, float step) {
        return wrap(lib.ggml_arange(room(), start, stop, step), "ggml_arange");
    }

    /** Sinusoidal embedding [dim, N] of N timesteps. */
    public Tensor timestepEmbedding(Tensor timesteps, int dim, int maxPeriod) {
        return wrap(lib.ggml_timestep_embedding(room(), timesteps.handle(), dim, maxPeriod), "ggml_timestep_embedding");
    }

    /** Rotary embedding. a [headDim, heads, tokens, ...], positions i32 [tokens]; mode 0 normal, 2 neox. */
    public Tensor rope(Tensor a, Tensor positions, int nDims, int mode, float freqBase) {
        if (positions.type() != GgmlType.I32 || positions.ne(0) != a.ne(2)) {
            throw new GgmlException("rope positions must be i32 with one entry per token: " + positions);
        }
        return wrap(lib.ggml_rope_ext(room(), a.handle(), positions.handle(), 0, nDims, mode, 0, freqBase,
                1f, 0f, 1f, 0f, 0f), "ggml_rope_ext");
    }

    /**
     * Multi-section rotary embedding (positions along several axes, as video/image DiTs use): positions i32
     * [4 * tokens], {@code sections} the rotary dimensions per axis.
     */
    public Tensor ropeMulti(Tensor a, Tensor positions, int nDims, int[] sections, int mode, float freqBase) {
        if (sections.length != 4) {
            throw new GgmlException("rope_multi takes 4 sections, got " + sections.length);
        }
        if (positions.type() != GgmlType.I32 || positions.ne(0) != 4 * a.ne(2)) {
            throw new GgmlException("rope_multi positions must be i32 [4 * tokens]: " + positions);
        }
        return wrap(lib.ggml_rope_multi(room(), a.handle(), positions.handle(), 0, nDims, sections, mode, 0, freqBase,
                1f, 0f, 1f, 0f, 0f), "ggml_rope_multi");
    }

    // --- graphs ---

    /** A forward graph with room for {@code size} nodes, built from {@code outputs}. */
    public Graph graph(int size, Tensor... outputs) {
        long ctx = handle();
        if (lib.ggml_used_mem(ctx) + lib.ggml_graph_overhead_custom(size, false) > lib.ggml_get_mem_size(ctx)) {
            throw new GgmlException(describe() + " has no room left for a graph of " + size + " nodes");
        }
        long g = lib.ggml_new_graph_custom(ctx, size, false);
        Graph graph = new Graph(this, g, size);
        for (Tensor t : outputs) {
            graph.expand(t);
        }
        return graph;
    }

    @Override
    void release(long handle) {
        tensors.clear();
        lib.ggml_free(handle);
    }
}
