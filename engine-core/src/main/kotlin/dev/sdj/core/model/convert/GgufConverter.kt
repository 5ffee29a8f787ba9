package dev.sdj.core.model.convert

import dev.sdj.api.ProgressListener
import dev.sdj.core.family.clip.ModelVocabulary
import dev.sdj.core.family.t5.T5GgufVocabulary
import dev.sdj.core.family.t5.T5ModelVocabulary
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * Writes an assembled model as one GGUF file that generates on its own: every tensor under the family's single-file
 * names ([SingleFileNames]) in the types [types] picks, the family in `general.architecture`, the CLIP tokenizer in
 * `tokenizer.ggml.*` and, for Flux, the T5 tokenizer in `text_encoders.t5xxl.tokenizer.ggml.*` ([T5GgufVocabulary]).
 * Tensors are converted one at a time as the file is written, so memory stays at a few row batches whatever the
 * model's size; the file appears only once it is whole.
 */
class GgufConverter(private val types: ConvertedTypes) {

    /** What a conversion wrote: the tensor count per stored type and the file's size. */
    data class Result(val tensorsByType: Map<DType, Int>, val fileBytes: Long)

    /** Converts [model] into [output]; [progress] hears "converting" once per tensor written. */
    fun convert(model: AssembledModel, output: Path, progress: ProgressListener = ProgressListener.NONE): Result {
        val tensors = SingleFileNames.tensors(model)
        val vocabulary = ModelVocabulary.of(model)
        val writer = GgufWriter()
            .put("general.architecture", ARCHITECTURE.getValue(model.family))
            .put("tokenizer.ggml.model", "clip")
            .putStrings("tokenizer.ggml.tokens", vocabulary.tokens)
            .putStrings("tokenizer.ggml.merges", vocabulary.merges)
        if (model.family == ModelFamily.FLUX) T5GgufVocabulary.write(writer, T5ModelVocabulary.of(model), T5GgufVocabulary.FLUX_PREFIX)
        val counts = sortedMapOf<DType, Int>()
        var written = 0
        for (tensor in tensors) {
            val type = types.typeFor(tensor.name, tensor.shape, tensor.parts.first().type)
            counts.merge(type, 1, Int::plus)
            val parts = if (tensor.transposed) listOf(TransposedTensorData(tensor.parts.single(), type)) else tensor.parts.map { ConvertedTensorData(it, type) }
            writer.addTensor(tensor.name, type, tensor.shape, TensorData { out ->
                parts.forEach { it.writeTo(out) }
                progress.onProgress("converting", ++written, tensors.size)
            })
        }
        writer.write(output)
        return Result(counts, Files.size(output))
    }

    private companion object {
        /** The labels sdj's own GGUF writers use; stable-diffusion.cpp tells the family from tensor names instead. */
        val ARCHITECTURE = mapOf(ModelFamily.SD1 to "sd1", ModelFamily.SD2 to "sd2", ModelFamily.SDXL to "sdxl", ModelFamily.FLUX to "flux")
    }
}
