package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's video VAE decoder with random weights and the checkpoint's tensor names (under `vae.` in the file), built
 * from [dimensions]: the default has every level kind LTX-2.3's decoder has, at 32 channels or fewer — residual
 * levels, two compress_all (one halving the channels, one not), a compress_time and a compress_space — so it upsamples
 * ×8 in time and ×32 in space as the real one does.
 *
 * Values: kernels N(0, 1/fan-in), biases N(0, 0.05²), the latent statistics' std around 1 ([RandomTensorBytes]).
 *
 * @param convType storage of the convolution kernels (the released checkpoint's are bf16; the loader gives the
 *   device f16 or f32); every other tensor is f32
 */
class TinyLtx2Vae @JvmOverloads constructor(
    val dimensions: Ltx2VaeDimensions = TINY,
    seed: Long = 1,
    val convType: DType = DType.F16,
) {
    /** One tensor: its name without `vae.`, its PyTorch shape. */
    data class Entry(val name: String, val torchShape: List<Long>, val isKernel: Boolean = false, val isNormScale: Boolean = false)

    private val random = RandomTensorBytes(seed)

    val entries: List<Entry> = run {
        val out = ArrayList<Entry>()
        fun conv(name: String, cin: Long, cout: Long) {
            out += Entry("decoder.$name.conv.weight", listOf(cout, cin, 3, 3, 3), isKernel = true)
            out += Entry("decoder.$name.conv.bias", listOf(cout))
        }
        fun embedder(name: String, width: Long) {
            val e = "decoder.$name.timestep_embedder"
            out += Entry("$e.linear_1.weight", listOf(width, Ltx2VideoVae.TIME_PROJECTION.toLong()))
            out += Entry("$e.linear_1.bias", listOf(width))
            out += Entry("$e.linear_2.weight", listOf(width, width))
            out += Entry("$e.linear_2.bias", listOf(width))
        }
        val c = Ltx2VideoVae.LATENT_CHANNELS
        out += Entry("per_channel_statistics.${Ltx2VideoVae.MEAN}", listOf(c))
        out += Entry("per_channel_statistics.${Ltx2VideoVae.STD}", listOf(c), isNormScale = true)
        conv("conv_in", c, dimensions.hidden)
        for (level in dimensions.levels) {
            val b = "up_blocks.${level.index}"
            when (level) {
                is Ltx2VaeLevel.Residual -> {
                    if (level.conditioned) embedder("$b.time_embedder", 4 * level.channels)
                    for (j in 0 until level.blocks) {
                        conv("$b.res_blocks.$j.conv1", level.channels, level.channels)
                        conv("$b.res_blocks.$j.conv2", level.channels, level.channels)
                        if (level.conditioned) out += Entry("decoder.$b.res_blocks.$j.scale_shift_table", listOf(4, level.channels))
                    }
                }
                is Ltx2VaeLevel.Upsample -> conv("$b.conv", level.inChannels, level.convOutputs)
            }
        }
        conv("conv_out", dimensions.outHidden, (Ltx2VideoVae.COLOURS * Ltx2VideoVae.PATCH * Ltx2VideoVae.PATCH).toLong())
        if (dimensions.conditioned) {
            // 0-dim, as ltx_core's nn.Parameter(torch.tensor(1000.0)) is saved
            out += Entry("decoder.timestep_scale_multiplier", emptyList(), isNormScale = true)
            embedder("last_time_embedder", 2 * dimensions.outHidden)
            out += Entry("decoder.last_scale_shift_table", listOf(2, dimensions.outHidden))
        }
        out
    }

    /** The type [entry] is stored in. */
    fun typeOf(entry: Entry): DType = if (entry.isKernel) convType else DType.F32

    /**
     * The decoder as the LTX-2 checkpoint holds it: every tensor under `vae.`, in one safetensors file, with [encoder]'s
     * tensors beside it when given (the whole VAE, as the released file has it).
     */
    @JvmOverloads
    fun write(path: Path, encoder: TinyLtx2VaeEncoder? = null): Path {
        val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2 video VAE decoder")
        encoder?.addTo(w)
        for (e in entries) {
            val type = typeOf(e)
            w.addTensor(PREFIX + e.name, type, e.torchShape.reversed(),
                TensorData { out -> TensorData.of(random.bytes(e.name, type, e.torchShape, e.isNormScale)).writeTo(out) })
        }
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        w.write(path)
        return path
    }

    companion object {
        const val PREFIX = "vae."

        /** Every level kind of LTX-2.3's decoder, in its order, at 32 → 16 → 8 channels. */
        val TINY = Ltx2VaeDimensions(
            hidden = 32,
            levels = listOf(
                Ltx2VaeLevel.Residual(0, 32, 1, false),
                Ltx2VaeLevel.Upsample(1, 32, 16, time = 2, space = 2),
                Ltx2VaeLevel.Residual(2, 16, 1, false),
                Ltx2VaeLevel.Upsample(3, 16, 16, time = 2, space = 2),
                Ltx2VaeLevel.Residual(4, 16, 2, false),
                Ltx2VaeLevel.Upsample(5, 16, 8, time = 2, space = 1),
                Ltx2VaeLevel.Residual(6, 8, 1, false),
                Ltx2VaeLevel.Upsample(7, 8, 8, time = 1, space = 2),
                Ltx2VaeLevel.Residual(8, 8, 1, false),
            ),
            conditioned = false,
        )

        /** [TINY] with timestep conditioning: the last norm's, and two residual levels' own. */
        val TINY_CONDITIONED = TINY.copy(
            levels = TINY.levels.map { if (it is Ltx2VaeLevel.Residual && it.index in setOf(0, 6)) it.copy(conditioned = true) else it },
            conditioned = true,
        )
    }
}
