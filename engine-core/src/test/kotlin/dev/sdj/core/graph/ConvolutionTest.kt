package dev.sdj.core.graph

import dev.sdj.core.device.ComputeBackends
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.util.Random

/**
 * [DirectConvolution] and [Im2colConvolution] against the float64 reference at the SD VAE's convolution kinds — 3×3
 * over 512, 256 and 128 channels, the 3-channel conv_out and the encoder's stride-2 downsampling, and the 1×1 shortcuts,
 * attention projections and 4-channel post_quant_conv, which keep im2col — with f16 kernels as checkpoints hold them, at small
 * resolutions (the kernels, not the image size, set the rounding). Both paths round the input to f16 on the CPU
 * (im2col writes its columns in the kernel's type, the direct kernel its patches), so the bound [F16] is f16 rounding of
 * inputs and kernels summed over up to 4608 products: measured up to 3.9e-4 on the CPU (both paths alike) and 3.3e-4
 * on lavapipe (im2col; direct 2.2e-4).
 */
class ConvolutionTest {
    private val ggml = Ggml.get()

    /** A convolution: kernel width, input and output channels, input size, stride and padding. */
    private data class Shape(val k: Int, val cin: Int, val cout: Int, val size: Int, val stride: Int = 1, val padding: Int = k / 2)

    /** The output on [path] and the ops its graph holds. */
    private fun run(device: Device, path: Convolution, s: Shape, kernel: Nd, x: Nd): Pair<FloatArray, Set<String>> {
        var ops = emptySet<String>()
        val out = ComputeBackends.open(device, 2).use { backend ->
            CompiledGraph(ggml, device.bufferType(), convolution = path) { g ->
                val k = g.input("kernel", GgmlType.F16, s.k.toLong(), s.k.toLong(), s.cin.toLong(), s.cout.toLong())
                val w = MapWeights(mapOf("weight" to k))
                g.nn.conv2d(g.input("x", GgmlType.F32, s.size.toLong(), s.size.toLong(), s.cin.toLong(), 1), w, s.stride, s.padding)
                    .also { ops = g.nn.ctx.tensors().map { t -> t.opName() }.toSet() }
            }.use { graph ->
                graph.input("kernel").setFloats(kernel.toFloats())
                graph.input("x").setFloats(x.toFloats())
                graph.run(backend)
            }
        }
        return out to ops
    }

    private fun check(deviceName: String, vararg shapes: Shape) {
        val device = ggml.devices().first { it.name() == deviceName }
        for (s in shapes) {
            val rnd = Random(s.hashCode().toLong())
            val kernel = Nd.random(rnd, 1.0 / Math.sqrt(s.k * s.k * s.cin.toDouble()), s.k, s.k, s.cin, s.cout)
            val x = Nd.random(rnd, 1.0, s.size, s.size, s.cin, 1)
            val expected = Reference64.conv2d(x, kernel, null, s.stride, s.padding)
            val (direct, directOps) = run(device, DirectConvolution(device), s, kernel, x)
            val (im2col, im2colOps) = run(device, Im2colConvolution, s, kernel, x)
            if (s.k == 1) assertTrue("IM2COL" in directOps && "CONV_2D" !in directOps, "$s on $deviceName: 1×1 keeps im2col, not $directOps")
            else assertTrue("CONV_2D" in directOps && "IM2COL" !in directOps, "$s on $deviceName: the direct path built $directOps")
            assertTrue("IM2COL" in im2colOps && "CONV_2D" !in im2colOps, "$s on $deviceName: the im2col path built $im2colOps")
            val directError = Reference64.relativeError(direct, expected)
            val im2colError = Reference64.relativeError(im2col, expected)
            println("$s on $deviceName: direct %.2e, im2col %.2e".format(directError, im2colError))
            assertTrue(directError <= F16, "$s on $deviceName: direct relative error $directError > $F16")
            assertTrue(im2colError <= F16, "$s on $deviceName: im2col relative error $im2colError > $F16")
        }
    }

    @Test
    fun `cpu direct and im2col convolutions at the vae's kinds agree with float64`() = check("CPU",
        Shape(3, 512, 512, 8), Shape(3, 256, 128, 12), Shape(3, 128, 128, 16), Shape(3, 128, 3, 16),
        Shape(1, 256, 128, 12), Shape(1, 512, 512, 8), Shape(1, 4, 4, 8), Shape(3, 128, 128, 17, stride = 2, padding = 0))

    /** Lavapipe builds a pipeline per shape, slowly: the 512-channel 3×3, conv_out and the stride-2 one. */
    @Test
    fun `vulkan direct and im2col convolutions agree with float64`() = check("Vulkan0",
        Shape(3, 512, 512, 8), Shape(3, 128, 3, 16), Shape(3, 128, 128, 17, stride = 2, padding = 0))

    /**
     * What the direct path is for: at 64×64 a 3×3 convolution over 128 channels needs 9.4 MB of f16 patches through
     * im2col (input and output are 2 MiB each); the direct path's buffer holds none of them.
     */
    @Test
    fun `the direct path needs no im2col buffer`() {
        val device = ggml.cpu()
        val s = Shape(3, 128, 128, 64)
        fun measure(path: Convolution) = CompiledGraph.measure(ggml, device.bufferType(), convolution = path) { g ->
            val k = g.input("kernel", GgmlType.F16, 3, 3, 128, 128)
            g.nn.conv2d(g.input("x", GgmlType.F32, 64, 64, 128, 1), MapWeights(mapOf("weight" to k)), s.stride, s.padding)
        }
        val image = 64L * 64 * 128 * 4
        val kernel = 3L * 3 * 128 * 128 * 2
        val patches = 64L * 64 * 9 * 128 * 2
        val im2col = measure(Im2colConvolution)
        val direct = measure(DirectConvolution(device))
        assertTrue(im2col >= kernel + patches, "im2col $im2col bytes: the kernel and patches alone are ${kernel + patches}")
        assertTrue(direct <= 2 * image + kernel + ALIGNMENT_SLACK, "direct $direct bytes: input, kernel and output are ${2 * image + kernel}")
    }

    private companion object {
        const val F16 = 2e-3
        const val ALIGNMENT_SLACK = 4096L
    }
}
