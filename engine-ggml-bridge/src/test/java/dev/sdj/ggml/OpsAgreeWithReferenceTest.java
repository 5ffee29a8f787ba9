package dev.sdj.ggml;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each op the models need, computed by ggml on the CPU and on Vulkan (lavapipe in CI), against a float64 reference.
 * The error is max|ggml - reference| / max|reference|. Bounds: 1e-5 where everything is f32; 2e-3 where ggml
 * rounds an operand to f16 on the way (im2col convolution, f16 K/V attention, and Vulkan's f32 mul_mat, which
 * runs through f16 shaders: 2.5e-4 seen on lavapipe) — f16 has an 11-bit mantissa, so one rounding costs up to
 * ~5e-4 relative and sums of a few dozen terms stay well under 2e-3.
 */
class OpsAgreeWithReferenceTest {
    private static final double F32_BOUND = 1e-5;
    private static final double F16_BOUND = 2e-3;

    private static Device device(String which) {
        return which.equals("cpu") ? TestDevices.cpu() : TestDevices.vulkan();
    }

    private static void assertClose(float[] actual, double[] expected, double bound, String what) {
        double err = Reference.relativeError(actual, expected);
        assertTrue(err <= bound, what + ": relative error " + err + " exceeds " + bound);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void matrixMultiplication(String which) {
        Random rnd = new Random(1);
        int k = 67, n = 13, m = 9;
        float[] a = Reference.random(rnd, k * n, 1);
        float[] b = Reference.random(rnd, k * m, 1);
        float[] out = new GraphRun(device(which)).run(r -> {
            Tensor ta = r.input("a", GgmlType.F32, a, k, n);
            Tensor tb = r.input("b", GgmlType.F32, b, k, m);
            return r.ctx().accumulateInF32(r.ctx().mulMat(ta, tb));
        });
        assertClose(out, Reference.mulMat(a, b, k, n, m), which.equals("cpu") ? F32_BOUND : F16_BOUND,
                "mul_mat on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void convolutionThroughIm2col(String which) {
        Random rnd = new Random(2);
        int kw = 3, kh = 3, cin = 4, cout = 5, w = 11, h = 9;
        float[] kernel = Reference.roundedToF16(Reference.random(rnd, kw * kh * cin * cout, 1));
        float[] input = Reference.random(rnd, w * h * cin, 1);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().conv2d(
                r.input("kernel", GgmlType.F16, kernel, kw, kh, cin, cout),
                r.input("input", GgmlType.F32, input, w, h, cin, 1), 1, 1));
        assertClose(out, Reference.conv2d(kernel, input, kw, kh, cin, cout, w, h, 1, 1), F16_BOUND, "conv_2d on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void directConvolutionWithStride(String which) {
        Random rnd = new Random(3);
        int kw = 3, kh = 3, cin = 3, cout = 6, w = 12, h = 10;
        float[] kernel = Reference.random(rnd, kw * kh * cin * cout, 1);
        float[] input = Reference.random(rnd, w * h * cin, 1);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().conv2dDirect(
                r.input("kernel", GgmlType.F32, kernel, kw, kh, cin, cout),
                r.input("input", GgmlType.F32, input, w, h, cin, 1), 2, 1));
        assertClose(out, Reference.conv2d(kernel, input, kw, kh, cin, cout, w, h, 2, 1), F32_BOUND,
                "conv_2d_direct on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void groupNormalisation(String which) {
        Random rnd = new Random(4);
        int w = 6, h = 5, c = 8, groups = 4;
        float[] a = Reference.random(rnd, w * h * c, 3);
        for (int i = 0; i < a.length; i++) {
            a[i] += 1.5f; // a non-zero mean, so the subtraction is exercised
        }
        float[] out = new GraphRun(device(which)).run(r ->
                r.ctx().groupNorm(r.input("a", GgmlType.F32, a, w, h, c, 1), groups, 1e-6f));
        assertClose(out, Reference.groupNorm(a, w, h, c, groups, 1e-6), F32_BOUND, "group_norm on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void scaledMaskedSoftmax(String which) {
        Random rnd = new Random(5);
        int n0 = 37, rows = 6;
        float[] a = Reference.random(rnd, n0 * rows, 4);
        float[] mask = new float[n0 * rows];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n0; i++) {
                mask[r * n0 + i] = i > 30 - r ? Float.NEGATIVE_INFINITY : 0f;
            }
        }
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().softMax(
                r.input("a", GgmlType.F32, a, n0, rows),
                r.input("mask", GgmlType.F32, mask, n0, rows), 0.125f));
        assertClose(out, Reference.softMax(a, mask, n0, rows, 0.125), F32_BOUND, "soft_max_ext on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void flashAttention(String which) {
        Random rnd = new Random(6);
        int d = 64, t = 7, s = 19, heads = 3;
        float[] q = Reference.random(rnd, d * t * heads, 1);
        float[] k = Reference.roundedToF16(Reference.random(rnd, d * s * heads, 1));
        float[] v = Reference.roundedToF16(Reference.random(rnd, d * s * heads, 1));
        float[] mask = new float[s * t];
        for (int i = 0; i < t; i++) {
            for (int j = 0; j < s; j++) {
                mask[i * s + j] = j > 12 + i ? Float.NEGATIVE_INFINITY : 0f;
            }
        }
        double scale = 1 / Math.sqrt(d);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().accumulateInF32(r.ctx().flashAttention(
                r.input("q", GgmlType.F32, q, d, t, heads, 1),
                r.input("k", GgmlType.F16, k, d, s, heads, 1),
                r.input("v", GgmlType.F16, v, d, s, heads, 1),
                r.input("mask", GgmlType.F16, mask, s, t), (float) scale)));
        assertClose(out, Reference.attention(q, k, v, mask, d, t, s, heads, scale), F16_BOUND, "flash_attn_ext on " + which);
    }
}
