package dev.sdj.core.family.sd

import dev.sdj.core.family.clip.ClipVocabulary
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import java.nio.ByteBuffer
import java.nio.file.Path

/**
 * The tiny SD 1.x model as a single GGUF file with its tokenizer, after edits a damaged or mismatched download would
 * show: tensors dropped, renamed, added, reshaped or retyped (their bytes always consistent with the new shape and
 * type, so only the engine's own checks can catch them).
 */
class EditedTinyModel(
    private val vocabulary: ClipVocabulary = ClipVocabulary.tinyGenerated(400),
    arch: SdArchitecture = TinySdModel.SD1_TINY.copy(clip = TinySdModel.SD1_TINY.clip.copy(vocabSize = vocabulary.size)),
) {
    /** One tensor as it will be written: file name, ggml shape, type. */
    data class Tensor(val name: String, val shape: List<Long>, val type: DType)

    private val tiny = TinySdModel(arch)

    /** Every tensor of the unedited file, in writing order. */
    val tensors: List<Tensor> = tiny.components.flatMap { (kind, entries) ->
        entries.map { Tensor(PREFIX.getValue(kind) + it.ldm, it.torchShape.reversed(), DType.F16) }
    }

    /**
     * Writes the tensors [edit] returns for each original one (none drops it), plus [extra]; the first of a name wins.
     * Tensors named in [nanFilled] hold only NaN; [tokenizer] gives the token and merge lists.
     */
    fun write(path: Path, extra: List<Tensor> = emptyList(), nanFilled: Set<String> = emptySet(),
              tokenizer: Pair<List<String>, List<String>> = vocabulary.tokens to vocabulary.merges, edit: (Tensor) -> Tensor? = { it }): Path {
        val gw = GgufWriter()
        gw.put("general.architecture", "sd1")
        gw.put("tokenizer.ggml.model", "clip")
        gw.putStrings("tokenizer.ggml.tokens", tokenizer.first)
        gw.putStrings("tokenizer.ggml.merges", tokenizer.second)
        for (t in (tensors.mapNotNull(edit) + extra).distinctBy { it.name }) {
            val nan = t.name in nanFilled && t.type in listOf(DType.F32, DType.F16, DType.BF16)
            gw.addTensor(t.name, t.type, t.shape, TensorData.of(if (nan) nans(t) else values(t)))
        }
        gw.write(path)
        return path
    }

    /** The original values by file name, made once: models are written many times over. */
    private val originals: Map<String, ByteBuffer> by lazy {
        tiny.components.flatMap { (kind, entries) -> entries.map { PREFIX.getValue(kind) + it.ldm to tiny.bytes(kind, it) } }.toMap()
    }

    /** The original values where the tensor kept its name, shape and type, else zeros. */
    private fun values(t: Tensor): ByteBuffer {
        val original = originals[t.name]
        if (original != null && t.type == DType.F16 && original.remaining().toLong() == 2 * t.shape.fold(1L) { a, b -> a * b } &&
            tensors.any { it.name == t.name && it.shape == t.shape }) {
            return original.duplicate()
        }
        val count = t.shape.fold(1L) { a, b -> a * b }
        return ByteBuffer.allocate(Math.toIntExact(count / t.type.blockSize * t.type.blockBytes))
    }

    private fun nans(t: Tensor): ByteBuffer {
        val count = t.shape.fold(1L) { a, b -> a * b }.toInt()
        val out = ByteBuffer.allocate(t.type.blockBytes * count).order(java.nio.ByteOrder.LITTLE_ENDIAN)
        repeat(count) {
            when (t.type) {
                DType.F32 -> out.putFloat(Float.NaN)
                DType.F16 -> out.putShort(0x7E00)
                DType.BF16 -> out.putShort(0x7FC0)
                else -> throw IllegalArgumentException("NaN filling writes float types, not ${t.type}")
            }
        }
        return out.flip()
    }

    companion object {
        val PREFIX = mapOf(
            ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
            ComponentKind.VAE to "first_stage_model.",
            ComponentKind.TEXT_ENCODER to "cond_stage_model.transformer.",
        )
    }
}
