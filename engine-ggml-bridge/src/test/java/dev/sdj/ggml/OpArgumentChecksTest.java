package dev.sdj.ggml;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Arguments ggml would abort the process on (its graph-building asserts, or a CPU kernel's unsupported types) are a
 * GgmlException from the bridge. Each case here ends the test JVM if it reaches ggml.
 */
class OpArgumentChecksTest {

    private static void refused(Executable op) {
        assertThrows(GgmlException.class, op);
    }

    /** ggml carves a graph out of its context's memory; tensors that ate that room made ggml_new_graph crash. */
    @Test
    void aContextsGraphRoomIsNotGivenToTensorsAndALargerGraphIsRefused() {
        try (GgmlContext ctx = Ggml.get().newContext(16, 16)) {
            Tensor x = ctx.newTensor(GgmlType.F32, 4);
            refused(() -> {
                for (int i = 0; i < 10_000; i++) {
                    ctx.scale(x, 2f);
                }
            });
            ctx.graph(16, x);
        }
        try (GgmlContext ctx = Ggml.get().newContext(16, 16)) {
            Tensor x = ctx.newTensor(GgmlType.F32, 4);
            refused(() -> ctx.graph(100_000, x));
        }
    }

    @Test
    void viewsReshapesAndCastsThatDoNotFitTheirSourceAreRefused() {
        try (GgmlContext ctx = Ggml.get().newContext(64)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 8, 4);
            refused(() -> ctx.view1d(a, 33, 0));
            refused(() -> ctx.view2d(a, 8, 4, 32, 4));
            refused(() -> ctx.view2d(a, 4, 4, 64, 0));
            refused(() -> ctx.view3d(a, 8, 2, 3, 32, 64, 0));
            refused(() -> ctx.view4d(a, 8, 1, 1, 0, 32, 32, 32, 0));
            refused(() -> ctx.reshape(a, 16, 3));
            refused(() -> ctx.reshape(a, -8, -4));
            refused(() -> ctx.reshape(ctx.newTensor(GgmlType.F32, 1)));
            refused(() -> ctx.cast(ctx.newTensor(GgmlType.F32, 3), GgmlType.Q4_0));
        }
    }

    @Test
    void operandsThatDoNotBroadcastOrMultiplyAreRefused() {
        try (GgmlContext ctx = Ggml.get().newContext(64)) {
            Tensor a = ctx.newTensor(GgmlType.F32, 8, 4);
            refused(() -> ctx.add(a, ctx.newTensor(GgmlType.F32, 3)));
            refused(() -> ctx.mul(a, ctx.newTensor(GgmlType.I32, 8)));
            refused(() -> ctx.add(ctx.newTensor(GgmlType.I32, 8), ctx.newTensor(GgmlType.I32, 8)));
            refused(() -> ctx.mulMat(ctx.transpose(ctx.newTensor(GgmlType.F32, 4, 8)), a));
            refused(() -> ctx.concat(a, ctx.newTensor(GgmlType.F16, 8, 4), 1));
            refused(() -> ctx.concat(a, a, 4));
        }
    }

    @Test
    void rowLookupsSoftmaxesConvolutionsPadsAndResamplesOutsideGgmlsRulesAreRefused() {
        try (GgmlContext ctx = Ggml.get().newContext(64)) {
            Tensor table = ctx.newTensor(GgmlType.F32, 8, 10);
            refused(() -> ctx.getRows(table, ctx.newTensor(GgmlType.F32, 3)));
            refused(() -> ctx.getRows(table, ctx.newTensor(GgmlType.I32, 3, 2)));
            Tensor scores = ctx.newTensor(GgmlType.F32, 6, 5);
            refused(() -> ctx.softMax(ctx.transpose(scores)));
            refused(() -> ctx.softMax(scores, ctx.newTensor(GgmlType.I32, 6, 5), 1f));
            Tensor image = ctx.newTensor(GgmlType.F32, 2, 2, 3, 1);
            refused(() -> ctx.conv2d(ctx.newTensor(GgmlType.F16, 5, 5, 3, 4), image, 1, 1));
            refused(() -> ctx.conv2d(ctx.newTensor(GgmlType.F16, 1, 1, 3, 4), image, 0, 0));
            refused(() -> ctx.pad(image, -1, 0, 0, 0));
            refused(() -> ctx.pad(ctx.newTensor(GgmlType.F16, 2, 2), 1, 0, 0, 0));
            refused(() -> ctx.upscaleNearest(ctx.newTensor(GgmlType.F16, 2, 2, 3, 1), 2));
            refused(() -> ctx.interpolate(image, GgmlContext.Interpolation.NEAREST, false, 0, 4, 3, 1));
        }
    }
    @Test
    void oneDimensionalConvolutionsAndElementwiseFunctionsOutsideGgmlsRulesAreRefused() {
        try (GgmlContext ctx = Ggml.get().newContext(64)) {
            Tensor x = ctx.newTensor(GgmlType.F32, 6, 4);
            refused(() -> ctx.conv1d(ctx.newTensor(GgmlType.F32, 3, 5, 8), x, 1, 1));
            refused(() -> ctx.conv1d(ctx.newTensor(GgmlType.F32, 4, 4, 8), x, 0, 2));
            refused(() -> ctx.im2col1d(ctx.newTensor(GgmlType.F32, 3, 4), x, 0, 0, 1, GgmlType.F32));
            refused(() -> ctx.im2col1d(ctx.newTensor(GgmlType.F32, 3, 4), x, 1, 0, 1, GgmlType.BF16));
            refused(() -> ctx.convTranspose1d(ctx.newTensor(GgmlType.F32, 3, 8, 5), x, 2));
            refused(() -> ctx.convTranspose1d(ctx.newTensor(GgmlType.BF16, 4, 8, 4), x, 2));
            refused(() -> ctx.convTranspose1d(ctx.newTensor(GgmlType.F32, 4, 8, 4), ctx.newTensor(GgmlType.F32, 6, 4, 2), 2));
            refused(() -> ctx.sin(ctx.newTensor(GgmlType.F16, 4)));
            refused(() -> ctx.exp(ctx.newTensor(GgmlType.I32, 4)));
            refused(() -> ctx.clamp(x, 1f, -1f));
        }
    }
}
