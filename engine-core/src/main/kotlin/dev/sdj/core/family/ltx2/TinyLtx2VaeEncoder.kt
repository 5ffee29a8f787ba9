package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's video VAE encoder with random weights and the checkpoint's tensor names (`vae.encoder.*` in the file), built
 * from [dimensions]: the default has every level kind LTX-2.3's encoder has, in its order, at 32 channels or fewer —
 * residual levels, a compress_space_res, a compress_time_res and two compress_all_res (one doubling the channels, one
 * not), so that the skip paths average groups of 2, 2, 4 and 8 channels, and it downsamples ×8 in time and ×32 in space
 * as the real one does. Written beside [TinyLtx2Vae]'s decoder in the same file, the pair is a whole LTX-2 VAE.
 *
 * Values: kernels N(0, 1/fan-in), biases N(0, 0.05²) ([RandomTensorBytes]).
 *
 * @param convType storage of the convolution kernels; the biases are f32
 */
class TinyLtx2VaeEncoder @JvmOverloads constructor(
    val dimensions: Ltx2VaeEncoderDimensions = TINY,
    seed: Long = 2,
    val convType: DType = DType.F16,
) {
    private val random = RandomTensorBytes(seed)

    /** Every tensor: its name without `vae.`, its PyTorch shape (kernels flagged). */
    val entries: List<TinyLtx2Vae.Entry> = run {
        val out = ArrayList<TinyLtx2Vae.Entry>()
        fun conv(name: String, cin: Long, cout: Long) {
            out += TinyLtx2Vae.Entry("encoder.$name.conv.weight", listOf(cout, cin, 3, 3, 3), isKernel = true)
            out += TinyLtx2Vae.Entry("encoder.$name.conv.bias", listOf(cout))
        }
        conv("conv_in", (Ltx2VideoVae.COLOURS * Ltx2VideoVae.PATCH * Ltx2VideoVae.PATCH).toLong(), dimensions.hidden)
        for (level in dimensions.levels) {
            val b = "down_blocks.${level.index}"
            when (level) {
                is Ltx2VaeEncoderLevel.Residual -> for (j in 0 until level.blocks) {
                    conv("$b.res_blocks.$j.conv1", level.channels, level.channels)
                    conv("$b.res_blocks.$j.conv2", level.channels, level.channels)
                }
                is Ltx2VaeEncoderLevel.Downsample -> conv("$b.conv", level.inChannels, level.convOutputs)
            }
        }
        conv("conv_out", dimensions.outHidden, Ltx2VaeEncoderDimensions.CONV_OUT_CHANNELS)
        out
    }

    /** The type [entry] is stored in. */
    fun typeOf(entry: TinyLtx2Vae.Entry): DType = if (entry.isKernel) convType else DType.F32

    /** Adds the encoder's tensors, under `vae.`, to [writer] (which may already hold the decoder's). */
    fun addTo(writer: SafetensorsWriter): SafetensorsWriter {
        for (e in entries) {
            val type = typeOf(e)
            writer.addTensor(TinyLtx2Vae.PREFIX + e.name, type, e.torchShape.reversed(),
                TensorData { out -> TensorData.of(random.bytes(e.name, type, e.torchShape, e.isNormScale)).writeTo(out) })
        }
        return writer
    }

    /** The encoder alone, as the LTX-2 checkpoint names it, in one safetensors file. */
    fun write(path: Path): Path {
        val w = addTo(SafetensorsWriter().metadata("generator", "sdj random LTX-2 video VAE encoder"))
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        w.write(path)
        return path
    }

    companion object {
        /** Every level kind of LTX-2.3's encoder, in its order, at 8 → 16 → 16 → 32 → 32 channels. */
        val TINY = Ltx2VaeEncoderDimensions(
            hidden = 8,
            levels = listOf(
                Ltx2VaeEncoderLevel.Residual(0, 8, 1),
                Ltx2VaeEncoderLevel.Downsample(1, 8, 16, time = 1, space = 2),
                Ltx2VaeEncoderLevel.Residual(2, 16, 1),
                Ltx2VaeEncoderLevel.Downsample(3, 16, 16, time = 2, space = 1),
                Ltx2VaeEncoderLevel.Residual(4, 16, 2),
                Ltx2VaeEncoderLevel.Downsample(5, 16, 32, time = 2, space = 2),
                Ltx2VaeEncoderLevel.Residual(6, 32, 1),
                Ltx2VaeEncoderLevel.Downsample(7, 32, 32, time = 2, space = 2),
                Ltx2VaeEncoderLevel.Residual(8, 32, 1),
            ),
        )
    }
}
