package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's audio VAE decoder with random weights and the checkpoint's tensor names (under `audio_vae.` in the file),
 * built from [dimensions]: the default has LTX-2.3's structure — the real latent of 8 channels × 16 bins, two mid
 * blocks, three levels whose first blocks change the channels through a nin_shortcut, two upsamplers, stereo out — at
 * 32 channels or fewer.
 *
 * Values: kernels N(0, 1/fan-in), biases N(0, 0.05²), the latent statistics' std around 1 ([RandomTensorBytes]).
 *
 * @param convType storage of the convolution kernels (the released checkpoint's are bf16; the loader gives the
 *   device f16 or f32); every other tensor is f32
 */
class TinyLtx2AudioVae @JvmOverloads constructor(
    val dimensions: Ltx2AudioVaeDimensions = TINY,
    seed: Long = 1,
    val convType: DType = DType.F16,
) {
    private val random = RandomTensorBytes(seed)

    val entries: List<Ltx2AudioVaeTensors.Entry> = Ltx2AudioVaeTensors.of(dimensions)

    /** The decoder as the LTX-2 checkpoint holds it: every tensor under `audio_vae.`, in one safetensors file. */
    fun write(path: Path): Path {
        val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2 audio VAE decoder")
        for (e in entries) {
            val type = if (e.isKernel) convType else DType.F32
            w.addTensor(PREFIX + e.name, type, e.torchShape.reversed(),
                TensorData { out -> TensorData.of(random.bytes(e.name, type, e.torchShape, e.isNormScale)).writeTo(out) })
        }
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        w.write(path)
        return path
    }

    companion object {
        const val PREFIX = "audio_vae."

        /** LTX-2.3's structure at 32 → 16 → 8 channels, two blocks a level. */
        val TINY = Ltx2AudioVaeDimensions(
            latentChannels = 8, latentBins = 16, hidden = 32, midBlocks = 2,
            levels = listOf(
                Ltx2AudioVaeLevel(2, 32, 32, 2, upsamples = true),
                Ltx2AudioVaeLevel(1, 32, 16, 2, upsamples = true),
                Ltx2AudioVaeLevel(0, 16, 8, 2, upsamples = false),
            ),
            audioChannels = 2,
        )
    }
}
