package dev.sdj.ggml;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every other binding the model code uses, on small inputs with known answers: these catch argument-passing
 * mistakes (a wrong prototype, a dropped argument) that a shape check alone would miss.
 */
class OpBindingsTest {
    private static final double F32_BOUND = 1e-5;

    private static Device device(String which) {
        return which.equals("cpu") ? TestDevices.cpu() : TestDevices.vulkan();
    }

    private static float[] iota(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i + 1;
        }
        return a;
    }

    private static void assertClose(double[] expected, float[] actual, double bound, String what) {
        double err = Reference.relativeError(actual, expected);
        assertTrue(err <= bound, what + ": relative error " + err + " exceeds " + bound);
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void padBeforeAndAfter(String which) {
        float[] out = new GraphRun(device(which)).run(r ->
                r.ctx().pad(r.input("a", GgmlType.F32, iota(4), 2, 2), 1, 0, 0, 1, 0, 0, 0, 0));
        assertArrayEquals(new float[]{0, 1, 2, 0, 3, 4, 0, 0, 0}, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void fourDimensionalViewThenCont(String which) {
        float[] out = new GraphRun(device(which)).run(r -> {
            Tensor a = r.input("a", GgmlType.F32, iota(24), 4, 3, 2, 1);
            long[] nb = a.strides();
            return r.ctx().cont(r.ctx().view4d(a, 2, 3, 2, 1, nb[1], nb[2], nb[3], nb[0]));
        });
        float[] expected = new float[12];
        int i = 0;
        for (int z = 0; z < 2; z++) {
            for (int y = 0; y < 3; y++) {
                for (int x = 0; x < 2; x++) {
                    expected[i++] = 1 + (x + 1) + 4 * y + 12 * z;
                }
            }
        }
        assertArrayEquals(expected, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void permuteTransposeReshapeConcat(String which) {
        float[] out = new GraphRun(device(which)).run(r -> {
            GgmlContext c = r.ctx();
            Tensor a = r.input("a", GgmlType.F32, iota(6), 3, 2);
            Tensor t = c.cont(c.transpose(a));                       // [2, 3]
            Tensor p = c.cont(c.permute(c.reshape(a, 3, 2, 1, 1), 1, 0, 2, 3)); // same as the transpose
            return c.concat(t, p, 1);                                // [2, 6]
        });
        assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6, 1, 4, 2, 5, 3, 6}, out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void nearestUpscaleAndInterpolateAgree(String which) {
        float[] up = new GraphRun(device(which)).run(r ->
                r.ctx().upscaleNearest(r.input("a", GgmlType.F32, iota(2), 2, 1, 1, 1), 2));
        assertArrayEquals(new float[]{1, 1, 2, 2, 1, 1, 2, 2}, up);
        float[] interp = new GraphRun(device(which)).run(r -> r.ctx().interpolate(
                r.input("a", GgmlType.F32, iota(2), 2, 1, 1, 1), GgmlContext.Interpolation.NEAREST, false, 4, 2, 1, 1));
        assertArrayEquals(up, interp);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void rowsArangeAndCasts(String which) {
        float[] rows = new GraphRun(device(which)).run(r -> r.ctx().getRows(
                r.input("a", GgmlType.F32, iota(12), 3, 4),
                r.inputInts("idx", new int[]{2, 0}, 2)));
        assertArrayEquals(new float[]{7, 8, 9, 1, 2, 3}, rows);
        float[] range = new GraphRun(device(which)).run(r -> r.ctx().arange(0, 5, 1));
        assertArrayEquals(new float[]{0, 1, 2, 3, 4}, range);
        float[] values = {0.1f, -2.5f, 1000.25f};
        float[] roundTrip = new GraphRun(device(which)).run(r -> r.ctx().cast(
                r.ctx().cast(r.input("a", GgmlType.F32, values, 3), GgmlType.F16), GgmlType.F32));
        assertArrayEquals(Reference.roundedToF16(values), roundTrip);
    }

    /** Rotary embedding reference: pairs (i, i+1) for mode 0, (i, i + d/2) for neox (mode 2). */
    private static double[] rope(float[] x, int[] pos, int d, int heads, int tokens, boolean neox, double base) {
        double[] out = new double[x.length];
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int off = (t * heads + h) * d;
                for (int i = 0; i < d / 2; i++) {
                    double theta = pos[t] * Math.pow(base, -2.0 * i / d);
                    int i0 = neox ? off + i : off + 2 * i;
                    int i1 = neox ? off + i + d / 2 : off + 2 * i + 1;
                    out[i0] = x[i0] * Math.cos(theta) - x[i1] * Math.sin(theta);
                    out[i1] = x[i0] * Math.sin(theta) + x[i1] * Math.cos(theta);
                }
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void rotaryEmbeddingNormalAndNeox(String which) {
        Random rnd = new Random(10);
        int d = 8, heads = 2, tokens = 3;
        float[] x = Reference.random(rnd, d * heads * tokens, 1);
        int[] pos = {0, 5, 17};
        for (int mode : new int[]{0, 2}) {
            float[] out = new GraphRun(device(which)).run(r -> r.ctx().rope(
                    r.input("x", GgmlType.F32, x, d, heads, tokens),
                    r.inputInts("pos", pos, tokens), d, mode, 10000f));
            assertClose(rope(x, pos, d, heads, tokens, mode == 2, 10000), out, 1e-4, "rope mode " + mode + " on " + which);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void multiSectionRopeWithOneSectionIsNeoxRope(String which) {
        Random rnd = new Random(11);
        int d = 8, heads = 2, tokens = 3;
        float[] x = Reference.random(rnd, d * heads * tokens, 1);
        int[] pos = {0, 5, 17};
        int[] pos4 = new int[4 * tokens];
        System.arraycopy(pos, 0, pos4, 0, tokens);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().ropeMulti(
                r.input("x", GgmlType.F32, x, d, heads, tokens),
                r.inputInts("pos", pos4, 4L * tokens), d, new int[]{d / 2, 0, 0, 0}, 8, 10000f));
        assertClose(rope(x, pos, d, heads, tokens, true, 10000), out, 1e-4, "rope_multi on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void elementwiseArithmeticAndActivations(String which) {
        Random rnd = new Random(7);
        float[] a = Reference.random(rnd, 12, 2);
        float[] b = Reference.random(rnd, 4, 2);
        float[] out = new GraphRun(device(which)).run(r -> {
            GgmlContext c = r.ctx();
            Tensor ta = r.input("a", GgmlType.F32, a, 4, 3);
            Tensor tb = r.input("b", GgmlType.F32, b, 4, 1);
            Tensor sum = c.add(ta, tb);
            Tensor prod = c.mul(ta, tb);
            Tensor diff = c.sub(ta, tb);
            Tensor act = c.concat(c.concat(c.silu(ta), c.gelu(ta), 1), c.tanh(ta), 1);
            Tensor rest = c.concat(c.concat(c.scale(sum, 0.5f), prod, 1), diff, 1);
            return c.concat(act, c.concat(rest, c.concat(c.sigmoid(ta), c.relu(ta), 1), 1), 1);
        });
        double[] expected = new double[12 * 10];
        for (int i = 0; i < 12; i++) {
            double x = a[i];
            double y = b[i % 4];
            expected[i] = x / (1 + Math.exp(-x));
            expected[12 + i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            expected[24 + i] = Math.tanh(x);
            expected[36 + i] = 0.5 * (x + y);
            expected[48 + i] = x * y;
            expected[60 + i] = x - y;
            expected[72 + i] = 1 / (1 + Math.exp(-x));
            expected[84 + i] = Math.max(0, x);
        }
        float[] head = java.util.Arrays.copyOf(out, 96);
        // gelu is computed through an f16 lookup table on the CPU backend: allow f16-level error for the whole set
        assertClose(java.util.Arrays.copyOf(expected, 96), head, 2e-3, "elementwise ops on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void layerAndRmsNormalisation(String which) {
        Random rnd = new Random(8);
        int n = 32, rows = 3;
        float[] a = Reference.random(rnd, n * rows, 3);
        float[] out = new GraphRun(device(which)).run(r -> {
            Tensor t = r.input("a", GgmlType.F32, a, n, rows);
            return r.ctx().concat(r.ctx().norm(t, 1e-5f), r.ctx().rmsNorm(t, 1e-5f), 1);
        });
        double[] expected = new double[2 * n * rows];
        for (int row = 0; row < rows; row++) {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) {
                mean += a[row * n + i];
                sq += (double) a[row * n + i] * a[row * n + i];
            }
            mean /= n;
            double var = sq / n - mean * mean;
            double rms = Math.sqrt(sq / n + 1e-5);
            for (int i = 0; i < n; i++) {
                expected[row * n + i] = (a[row * n + i] - mean) / Math.sqrt(var + 1e-5);
                expected[n * rows + row * n + i] = a[row * n + i] / rms;
            }
        }
        assertClose(expected, out, F32_BOUND, "norm and rms_norm on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void sinusoidalTimestepEmbedding(String which) {
        int dim = 16, maxPeriod = 10000;
        float[] steps = {0f, 1f, 999f};
        float[] out = new GraphRun(device(which)).run(r ->
                r.ctx().timestepEmbedding(r.input("t", GgmlType.F32, steps, 3), dim, maxPeriod));
        double[] expected = new double[dim * steps.length];
        int half = dim / 2;
        for (int s = 0; s < steps.length; s++) {
            for (int j = 0; j < half; j++) {
                double freq = Math.exp(-Math.log(maxPeriod) * j / half);
                expected[s * dim + j] = Math.cos(steps[s] * freq);
                expected[s * dim + half + j] = Math.sin(steps[s] * freq);
            }
        }
        // float32 arguments near 999 rad lose ~1e-4 absolute; the bound allows that
        assertClose(expected, out, 2e-4, "timestep_embedding on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void transposedConvolution(String which) {
        Random rnd = new Random(9);
        int kw = 2, kh = 2, cout = 3, cin = 2, w = 3, h = 2, s = 2;
        float[] kernel = Reference.roundedToF16(Reference.random(rnd, kw * kh * cout * cin, 1));
        float[] input = Reference.random(rnd, w * h * cin, 1);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().convTranspose2d(
                r.input("k", GgmlType.F16, kernel, kw, kh, cout, cin),
                r.input("x", GgmlType.F32, input, w, h, cin, 1), s));
        int ow = (w - 1) * s + kw, oh = (h - 1) * s + kh;
        double[] expected = new double[ow * oh * cout];
        for (int ci = 0; ci < cin; ci++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int co = 0; co < cout; co++) {
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) {
                                expected[(co * oh + y * s + ky) * ow + x * s + kx] +=
                                        (double) input[(ci * h + y) * w + x] * kernel[((ci * cout + co) * kh + ky) * kw + kx];
                            }
                        }
                    }
                }
            }
        }
        assertClose(expected, out, 2e-3, "conv_transpose_2d on " + which);
    }
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void sineExponentialAndClamp(String which) {
        Random rnd = new Random(10);
        float[] a = Reference.random(rnd, 12, 2);
        float[] out = new GraphRun(device(which)).run(r -> {
            GgmlContext c = r.ctx();
            Tensor ta = r.input("a", GgmlType.F32, a, 12);
            return c.concat(c.concat(c.sin(ta), c.exp(ta), 0), c.clamp(ta, -0.5f, 1f), 0);
        });
        double[] expected = new double[36];
        for (int i = 0; i < 12; i++) {
            expected[i] = Math.sin(a[i]);
            expected[12 + i] = Math.exp(a[i]);
            expected[24 + i] = Math.max(-0.5, Math.min(1, a[i]));
        }
        assertClose(expected, out, F32_BOUND, "sin, exp and clamp on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void dilatedPaddedConvolutionAndStridedColumns(String which) {
        Random rnd = new Random(11);
        int k = 3, cin = 2, cout = 3, t = 9, pad = 2, dil = 2;
        float[] kernel = Reference.random(rnd, k * cin * cout, 1);
        float[] input = Reference.random(rnd, t * cin, 1);
        float[] out = new GraphRun(device(which)).run(r -> {
            GgmlContext c = r.ctx();
            Tensor x = r.input("x", GgmlType.F32, input, t, cin);
            Tensor conv = c.conv1d(r.input("k", GgmlType.F32, kernel, k, cin, cout), x, pad, dil);   // [9, 3]
            // four taps at stride 2 over each channel as a batch of one-channel rows, as a depthwise filter reads them
            Tensor taps = r.input("f", GgmlType.F32, new float[4], 4, 1);
            Tensor cols = c.im2col1d(taps, c.reshape(x, t, 1, cin), 2, 0, 1, GgmlType.F32);    // [4, 3, cin]
            return c.concat(c.reshape(conv, t * cout), c.reshape(cols, cols.elementCount()), 0);
        });
        int ot = t + 2 * pad - dil * (k - 1);
        double[] expected = new double[ot * cout + 4 * 3 * cin];
        for (int o = 0; o < cout; o++) {
            for (int p = 0; p < ot; p++) {
                for (int i = 0; i < cin; i++) {
                    for (int j = 0; j < k; j++) {
                        int at = p + j * dil - pad;
                        if (at >= 0 && at < t) {
                            expected[o * ot + p] += (double) kernel[(o * cin + i) * k + j] * input[i * t + at];
                        }
                    }
                }
            }
        }
        for (int n = 0; n < cin; n++) {
            for (int p = 0; p < 3; p++) {
                for (int j = 0; j < 4; j++) {
                    expected[ot * cout + (n * 3 + p) * 4 + j] = input[n * t + 2 * p + j];
                }
            }
        }
        // ggml-vulkan's matrix product rounds f32 operands to f16 (3.8e-4 here); the CPU's keeps them
        assertClose(expected, out, which.equals("cpu") ? F32_BOUND : 2e-3, "conv1d and im2col1d on " + which);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu", "vulkan"})
    void transposedOneDimensionalConvolution(String which) {
        Random rnd = new Random(12);
        int k = 5, cout = 3, cin = 2, t = 4, s = 3;
        float[] kernel = Reference.random(rnd, k * cout * cin, 1);
        float[] input = Reference.random(rnd, t * cin, 1);
        float[] out = new GraphRun(device(which)).run(r -> r.ctx().convTranspose1d(
                r.input("k", GgmlType.F32, kernel, k, cout, cin), r.input("x", GgmlType.F32, input, t, cin), s));
        int ot = (t - 1) * s + k;
        double[] expected = new double[ot * cout];
        for (int ci = 0; ci < cin; ci++) {
            for (int i = 0; i < t; i++) {
                for (int co = 0; co < cout; co++) {
                    for (int j = 0; j < k; j++) {
                        expected[co * ot + i * s + j] += (double) input[ci * t + i] * kernel[(ci * cout + co) * k + j];
                    }
                }
            }
        }
        assertClose(expected, out, F32_BOUND, "conv_transpose_1d on " + which);
    }
}
