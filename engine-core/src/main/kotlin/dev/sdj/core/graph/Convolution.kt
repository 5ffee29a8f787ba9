package dev.sdj.core.graph

import dev.sdj.ggml.Device
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * How a graph computes a 2-D convolution. Every implementation computes the same function; they differ in the memory
 * they need and in speed, so the engine picks one per phase and device and model code never does.
 *
 * kernel [KW, KH, Cin, Cout] (f32 or f16), x [W, H, Cin, N] f32; the result is f32 [OW, OH, Cout, N].
 */
fun interface Convolution {
    fun build(ctx: GgmlContext, kernel: Tensor, x: Tensor, stride: Int, padding: Int): Tensor
}

/**
 * im2col then one matrix product: the compute buffer holds every output pixel's input patch, in the kernel's type —
 * 1.2 GiB for a 3×3 convolution over 256 channels at 512×512 with f16 kernels, the SD VAE decoder's largest node.
 */
object Im2colConvolution : Convolution {
    override fun build(ctx: GgmlContext, kernel: Tensor, x: Tensor, stride: Int, padding: Int): Tensor =
        ctx.conv2d(kernel, x, stride, padding)
}

/**
 * ggml's conv_2d_direct for kernels wider than 1×1: one node, whose patches the backend builds in small pieces of its
 * own scratch memory (the CPU in chunks of its work buffer, Vulkan in shared memory), so the compute buffer holds only
 * the input and the output. A 1×1 kernel's patches are only an f16 copy of its input, and the direct CPU kernel
 * measured 1.3–2× slower than im2col on the SD VAE's 1×1 convolutions (0.9× on its 3×3 ones), so 1×1 kernels keep
 * [Im2colConvolution]. So do kernels other than f32 and f16, which that path refuses by name, and any convolution
 * [device] does not run directly.
 */
class DirectConvolution(private val device: Device) : Convolution {
    override fun build(ctx: GgmlContext, kernel: Tensor, x: Tensor, stride: Int, padding: Int): Tensor {
        val pointwise = kernel.ne(0) == 1L && kernel.ne(1) == 1L
        if (pointwise || (kernel.type() != GgmlType.F16 && kernel.type() != GgmlType.F32)) {
            return Im2colConvolution.build(ctx, kernel, x, stride, padding)
        }
        val out = ctx.conv2dDirect(kernel, x, stride, padding)
        return if (device.supports(out)) out else Im2colConvolution.build(ctx, kernel, x, stride, padding)
    }
}
