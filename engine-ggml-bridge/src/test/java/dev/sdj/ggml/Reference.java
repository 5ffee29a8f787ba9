package dev.sdj.ggml;

import java.util.Random;

/** Plain float64 implementations of the ops under test, in ggml's memory order (dimension 0 fastest). */
final class Reference {
    private Reference() {
    }

    static float[] random(Random rnd, int n, double scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return out;
    }

    /** The values an f16 tensor actually holds after {@code values} are written to it. */
    static float[] roundedToF16(float[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = halfToFloat(floatToHalf(values[i]));
        }
        return out;
    }

    private static short floatToHalf(float f) {
        int bits = Float.floatToIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = bits & 0x7fffff;
        if (exp <= 0) {
            if (exp < -10) {
                return (short) sign;
            }
            mant |= 0x800000;
            int shift = 14 - exp;
            int half = mant >> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        if (exp >= 31) {
            return (short) (sign | 0x7c00);
        }
        int half = (exp << 10) | (mant >> 13);
        int rem = mant & 0x1fff;
        if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
            half++;
        }
        return (short) (sign | half);
    }

    private static float halfToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            return Float.intBitsToFloat(sign) + (float) (mant * Math.pow(2, -24)) * (sign != 0 ? -1 : 1);
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /** a [k, n], b [k, m] gives [n, m]: out[m][n] = sum a[n][.] * b[m][.] */
    static double[] mulMat(float[] a, float[] b, int k, int n, int m) {
        double[] out = new double[n * m];
        for (int j = 0; j < m; j++) {
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int x = 0; x < k; x++) {
                    s += (double) a[i * k + x] * b[j * k + x];
                }
                out[j * n + i] = s;
            }
        }
        return out;
    }

    /** kernel [kw, kh, cin, cout], input [w, h, cin, 1], stride and zero padding; gives [ow, oh, cout, 1]. */
    static double[] conv2d(float[] kernel, float[] input, int kw, int kh, int cin, int cout, int w, int h,
                           int stride, int pad) {
        int ow = (w + 2 * pad - kw) / stride + 1;
        int oh = (h + 2 * pad - kh) / stride + 1;
        double[] out = new double[ow * oh * cout];
        for (int co = 0; co < cout; co++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double s = 0;
                    for (int ci = 0; ci < cin; ci++) {
                        for (int ky = 0; ky < kh; ky++) {
                            int y = oy * stride - pad + ky;
                            if (y < 0 || y >= h) {
                                continue;
                            }
                            for (int kx = 0; kx < kw; kx++) {
                                int x = ox * stride - pad + kx;
                                if (x < 0 || x >= w) {
                                    continue;
                                }
                                s += (double) kernel[((co * cin + ci) * kh + ky) * kw + kx] * input[(ci * h + y) * w + x];
                            }
                        }
                    }
                    out[(co * oh + oy) * ow + ox] = s;
                }
            }
        }
        return out;
    }

    /** a [w, h, c, 1] normalised per group of c/groups channels. */
    static double[] groupNorm(float[] a, int w, int h, int c, int groups, double eps) {
        double[] out = new double[a.length];
        int per = w * h * (c / groups);
        for (int g = 0; g < groups; g++) {
            int from = g * per;
            double mean = 0;
            for (int i = 0; i < per; i++) {
                mean += a[from + i];
            }
            mean /= per;
            double var = 0;
            for (int i = 0; i < per; i++) {
                double d = a[from + i] - mean;
                var += d * d;
            }
            var /= per;
            double inv = 1 / Math.sqrt(var + eps);
            for (int i = 0; i < per; i++) {
                out[from + i] = (a[from + i] - mean) * inv;
            }
        }
        return out;
    }

    /** softmax over dimension 0 of a [n0, rows] * scale + mask [n0, rows]. */
    static double[] softMax(float[] a, float[] mask, int n0, int rows, double scale) {
        double[] out = new double[a.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            double[] v = new double[n0];
            for (int i = 0; i < n0; i++) {
                v[i] = a[r * n0 + i] * scale + (mask == null ? 0 : mask[r * n0 + i]);
                max = Math.max(max, v[i]);
            }
            double sum = 0;
            for (int i = 0; i < n0; i++) {
                v[i] = Math.exp(v[i] - max);
                sum += v[i];
            }
            for (int i = 0; i < n0; i++) {
                out[r * n0 + i] = v[i] / sum;
            }
        }
        return out;
    }

    /**
     * Attention per head: q [d, t, heads], k and v [d, s, heads], mask [s, t]; gives ggml's flash-attention
     * layout [d, heads, t].
     */
    static double[] attention(float[] q, float[] k, float[] v, float[] mask, int d, int t, int s, int heads, double scale) {
        double[] out = new double[d * heads * t];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < t; i++) {
                double[] w = new double[s];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    double dot = 0;
                    for (int x = 0; x < d; x++) {
                        dot += (double) q[(hd * t + i) * d + x] * k[(hd * s + j) * d + x];
                    }
                    w[j] = dot * scale + (mask == null ? 0 : mask[i * s + j]);
                    max = Math.max(max, w[j]);
                }
                double sum = 0;
                for (int j = 0; j < s; j++) {
                    w[j] = Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int x = 0; x < d; x++) {
                    double acc = 0;
                    for (int j = 0; j < s; j++) {
                        acc += w[j] * v[(hd * s + j) * d + x];
                    }
                    out[(i * heads + hd) * d + x] = acc / sum;
                }
            }
        }
        return out;
    }

    /** max |actual - expected| / max |expected|: one number per comparison, robust to values near zero. */
    static double relativeError(float[] actual, double[] expected) {
        if (actual.length != expected.length) {
            throw new AssertionError("length " + actual.length + " != " + expected.length);
        }
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < actual.length; i++) {
            if (!Float.isFinite(actual[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxDiff / maxRef;
    }
}
