package dev.sdj.ggml;

import com.kenai.jffi.MemoryIO;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ggml's own quantizer ({@code ggml_quantize_chunk}) and dequantizers (each type's {@code to_float} from
 * {@code ggml_get_type_traits}), on direct buffers. ggml asserts on a type it has no quantizer for, on rows that are
 * not whole blocks and on a missing importance matrix where a type needs one; all three are checked here first.
 */
public final class Quantization {
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    /**
     * Offsets in {@code struct ggml_type_traits { const char *type_name; int64_t blck_size; int64_t
     * blck_size_interleave; size_t type_size; bool is_quantized; ggml_to_float_t to_float; ... }} on 64-bit targets.
     * The name, block size and type size are compared with ggml's own answers before the function pointer is used.
     */
    private static final int TRAITS_NAME = 0;
    private static final int TRAITS_BLOCK_SIZE = 8;
    private static final int TRAITS_TYPE_SIZE = 24;
    private static final int TRAITS_TO_FLOAT = 40;

    /** Types {@code ggml_quantize_chunk} writes (its switch); any other type makes it abort. */
    private static final Set<GgmlType> QUANTIZABLE = EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16,
            GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K,
            GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S,
            GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
            GgmlType.TQ1_0, GgmlType.TQ2_0, GgmlType.MXFP4);

    private final Ggml ggml;
    /** The type's {@code to_float} address, 0 where ggml has none. */
    private final Map<GgmlType, Long> toFloat = new ConcurrentHashMap<>();

    Quantization(Ggml ggml) {
        this.ggml = ggml;
    }

    public boolean canQuantize(GgmlType type) {
        return QUANTIZABLE.contains(type);
    }

    /** Whether quantizing to {@code type} needs an importance matrix (ggml aborts without one). */
    public boolean requiresImportance(GgmlType type) {
        return ggml.lib.ggml_quantize_requires_imatrix(type.value) != 0;
    }

    /** Whether ggml can turn {@code type} back into floats. */
    public boolean canDequantize(GgmlType type) {
        return toFloatFunction(type) != 0;
    }

    /**
     * Quantizes the remaining bytes of {@code f32} (whole rows of {@code rowLength} floats) into {@code dst} at its
     * position; advances both buffers and returns the bytes written.
     *
     * @param importance {@code rowLength} f32 weights per column, or null; required where {@link #requiresImportance}
     */
    public long quantize(GgmlType type, ByteBuffer f32, long rowLength, ByteBuffer importance, ByteBuffer dst) {
        requireDirect(f32, dst);
        if (!canQuantize(type)) {
            throw new IllegalArgumentException("ggml cannot quantize to " + type.ggmlName());
        }
        if (rowLength <= 0 || rowLength % ggml.blockSize(type) != 0) {
            throw new IllegalArgumentException(type.ggmlName() + " rows must be a positive multiple of "
                    + ggml.blockSize(type) + " values, got " + rowLength);
        }
        long floats = f32.remaining() / 4;
        if (f32.remaining() % 4 != 0 || floats % rowLength != 0) {
            throw new IllegalArgumentException(f32.remaining() + " bytes are not whole rows of " + rowLength + " floats");
        }
        long rows = floats / rowLength;
        long bytes = rows * ggml.rowSize(type, rowLength);
        if (dst.remaining() < bytes) {
            throw new IllegalArgumentException("quantizing " + rows + " rows to " + type.ggmlName() + " needs " + bytes
                    + " bytes, the buffer has " + dst.remaining());
        }
        long imatrix = 0;
        if (importance != null) {
            requireDirect(importance, importance);
            if (importance.remaining() != rowLength * 4) {
                throw new IllegalArgumentException("the importance matrix needs " + rowLength + " floats");
            }
            imatrix = address(importance);
        } else if (requiresImportance(type)) {
            throw new IllegalArgumentException(type.ggmlName() + " needs an importance matrix");
        }
        long written = ggml.lib.ggml_quantize_chunk(type.value, address(f32), address(dst), 0, rows, rowLength, imatrix);
        f32.position(f32.limit());
        dst.position(dst.position() + (int) written);
        return written;
    }

    /**
     * Dequantizes the remaining bytes of {@code src} (whole blocks of {@code type}) into f32 at {@code dst}'s
     * position; advances both buffers.
     */
    public void dequantize(GgmlType type, ByteBuffer src, ByteBuffer dst) {
        requireDirect(src, dst);
        long function = toFloatFunction(type);
        if (function == 0) {
            throw new IllegalArgumentException("ggml has no dequantizer for " + type.ggmlName());
        }
        long blockBytes = ggml.typeSize(type);
        if (src.remaining() % blockBytes != 0) {
            throw new IllegalArgumentException(src.remaining() + " bytes are not whole " + type.ggmlName() + " blocks");
        }
        long values = src.remaining() / blockBytes * ggml.blockSize(type);
        if (dst.remaining() < values * 4) {
            throw new IllegalArgumentException(values + " floats do not fit in " + dst.remaining() + " bytes");
        }
        GgmlInit.callVoidPtrPtrLong(function, address(src), address(dst), values);
        src.position(src.limit());
        dst.position(dst.position() + (int) (values * 4));
    }

    private long toFloatFunction(GgmlType type) {
        return toFloat.computeIfAbsent(type, t -> {
            long traits = ggml.lib.ggml_get_type_traits(t.value);
            if (traits == 0) {
                return 0L;
            }
            String name = new String(MEMORY.getZeroTerminatedByteArray(MEMORY.getAddress(traits + TRAITS_NAME)),
                    java.nio.charset.StandardCharsets.UTF_8);
            if (!name.equals(ggml.typeName(t.value)) || MEMORY.getLong(traits + TRAITS_BLOCK_SIZE) != ggml.blockSize(t)
                    || MEMORY.getLong(traits + TRAITS_TYPE_SIZE) != ggml.typeSize(t)) {
                throw new GgmlException("ggml_type_traits of " + t.ggmlName() + " is not laid out as this bridge expects;"
                        + " this ggml build is not the one the bridge was written for");
            }
            return MEMORY.getAddress(traits + TRAITS_TO_FLOAT);
        });
    }

    private static long address(ByteBuffer direct) {
        return MEMORY.getDirectBufferAddress(direct) + direct.position();
    }

    private static void requireDirect(ByteBuffer a, ByteBuffer b) {
        if (!a.isDirect() || !b.isDirect()) {
            throw new IllegalArgumentException("quantization works on direct ByteBuffers");
        }
    }
}
