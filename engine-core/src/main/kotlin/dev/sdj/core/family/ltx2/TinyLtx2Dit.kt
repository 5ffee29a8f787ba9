package dev.sdj.core.family.ltx2

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * LTX-2's audio-video DiT with random weights and the real tensor names (Lightricks' checkpoint names, which
 * stable-diffusion.cpp reads), of any [Ltx2DitDimensions]: [Ltx2DitDimensions.TINY] for tests, chained to
 * [TinyLtx2Text]'s contexts; [Ltx2DitDimensions.LTX_2_3] with [sampledBlocks] for full-size benchmarks. Tensors are
 * generated as the writer reaches them ([RandomTensorBytes]: linear weights N(0, 1/fan-in), q/k norm weights around 1,
 * vectors N(0, 0.05²)).
 *
 * @param type storage of every tensor (the released checkpoint is bf16; quantized types fall back to f16 for rows that
 *   are not whole blocks, as converters do)
 */
class TinyLtx2Dit @JvmOverloads constructor(
    val dimensions: Ltx2DitDimensions = Ltx2DitDimensions.TINY,
    seed: Long = 1,
    val type: DType = DType.F16,
    sampledBlocks: Boolean = false,
) {
    private val random = RandomTensorBytes(seed, sampledBlocks = sampledBlocks)

    val tensors: List<Ltx2DitTensors.Entry> = Ltx2DitTensors.of(dimensions)

    /** The type [entry] is stored in: [type], or f16 where its rows are not whole blocks of a quantized [type]. */
    fun typeOf(entry: Ltx2DitTensors.Entry): DType =
        if (type.isQuantized && (entry.torchShape.size == 1 || entry.torchShape.last() % type.blockSize != 0L)) DType.F16 else type

    /**
     * The DiT as its checkpoint holds it: under `model.diffusion_model.` in a safetensors file, bare in a GGUF (as the
     * DiT GGUFs name it), chosen by [path]'s extension.
     */
    fun write(path: Path): Path {
        path.toAbsolutePath().parent?.let { Files.createDirectories(it) }
        if (path.fileName.toString().endsWith(".gguf")) {
            val w = GgufWriter().put("general.architecture", "ltxv")
            for (e in tensors) w.addTensor(e.name, typeOf(e), e.torchShape.reversed(), data(e))
            w.write(path)
        } else {
            val w = SafetensorsWriter().metadata("generator", "sdj random LTX-2 DiT")
            for (e in tensors) w.addTensor(DIT_PREFIX + e.name, typeOf(e), e.torchShape.reversed(), data(e))
            w.write(path)
        }
        return path
    }

    private fun data(e: Ltx2DitTensors.Entry) = TensorData { out -> TensorData.of(random.bytes(e.name, typeOf(e), e.torchShape, e.isNormScale)).writeTo(out) }

    companion object {
        const val FILE = "ltx-2.3-random-dit.safetensors"
        private const val DIT_PREFIX = "model.diffusion_model."
    }
}
