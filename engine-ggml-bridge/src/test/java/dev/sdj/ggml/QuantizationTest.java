package dev.sdj.ggml;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ggml's quantizers and dequantizers through the bridge: round trips within each type's precision, refusals before ggml would abort. */
class QuantizationTest {
    private static final int ROW = 512;
    private static final int ROWS = 4;

    private static ByteBuffer gaussianRows(long seed) {
        ByteBuffer b = ByteBuffer.allocateDirect(ROW * ROWS * 4).order(ByteOrder.nativeOrder());
        Random r = new Random(seed);
        for (int i = 0; i < ROW * ROWS; i++) {
            b.putFloat((float) r.nextGaussian());
        }
        return b.flip();
    }

    private static ByteBuffer uniformImportance() {
        ByteBuffer b = ByteBuffer.allocateDirect(ROW * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < ROW; i++) {
            b.putFloat(1f);
        }
        return b.flip();
    }

    /** RMS error relative to the RMS of the data; bounded by what each bit width can hold. */
    private static double bound(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16, BF16 -> 0.005;
            case Q8_0 -> 0.01;
            case Q6_K -> 0.03;
            case Q5_0, Q5_1, Q5_K -> 0.06;
            case Q4_0, Q4_1, Q4_K, IQ4_NL, IQ4_XS, MXFP4 -> 0.12;
            case Q3_K, IQ3_XXS, IQ3_S -> 0.25;
            case Q2_K, IQ2_XXS, IQ2_XS, IQ2_S -> 0.6;
            default -> 0.9; // 1-bit and ternary types
        };
    }

    @ParameterizedTest
    @EnumSource(GgmlType.class)
    void quantizedRowsComeBackWithinTheTypesPrecision(GgmlType type) {
        Quantization q = Ggml.get().quantization();
        if (!q.canQuantize(type) || type == GgmlType.F32) {
            return; // f32 has nothing to round-trip (and no to_float)
        }
        ByteBuffer src = gaussianRows(type.value);
        ByteBuffer packed = ByteBuffer.allocateDirect((int) (ROWS * Ggml.get().rowSize(type, ROW))).order(ByteOrder.nativeOrder());
        long written = q.quantize(type, src.duplicate(), ROW, q.requiresImportance(type) ? uniformImportance() : null, packed);
        assertEquals(packed.capacity(), written);
        assertEquals(packed.capacity(), packed.position(), "the destination advanced by the bytes written");
        assertTrue(q.canDequantize(type), type + " quantizes but has no to_float");
        ByteBuffer back = ByteBuffer.allocateDirect(ROW * ROWS * 4).order(ByteOrder.nativeOrder());
        q.dequantize(type, packed.flip(), back);
        back.flip();
        double se = 0;
        double ss = 0;
        for (int i = 0; i < ROW * ROWS; i++) {
            double a = src.getFloat(i * 4);
            double d = back.getFloat(i * 4) - a;
            se += d * d;
            ss += a * a;
        }
        double relative = Math.sqrt(se / ss);
        assertTrue(relative <= bound(type), type + ": relative RMS error " + relative + " exceeds " + bound(type));
    }

    @Test
    void typesThatNeedAnImportanceMatrixAreRefusedWithoutOne() {
        Quantization q = Ggml.get().quantization();
        assertTrue(q.requiresImportance(GgmlType.IQ2_XXS));
        ByteBuffer packed = ByteBuffer.allocateDirect((int) (ROWS * Ggml.get().rowSize(GgmlType.IQ2_XXS, ROW)));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(GgmlType.IQ2_XXS, gaussianRows(1), ROW, null, packed));
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRefused() {
        Quantization q = Ggml.get().quantization();
        ByteBuffer packed = ByteBuffer.allocateDirect(1 << 16);
        assertThrows(IllegalArgumentException.class, () -> q.quantize(GgmlType.Q4_K, gaussianRows(2), 128, null, packed));
        assertThrows(IllegalArgumentException.class, () -> q.quantize(GgmlType.Q8_1, gaussianRows(2), ROW, null, packed));
    }
}
