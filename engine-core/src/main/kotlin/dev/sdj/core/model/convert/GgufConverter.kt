package dev.sdj.core.model.convert

import dev.sdj.api.ProgressListener
import dev.sdj.core.family.clip.ModelVocabulary
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.DType
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import java.nio.file.Files
import java.nio.file.Path

/**
 * Writes an assembled model as one GGUF file that generates on its own: every component's tensors under the family's
 * single-file names ([SingleFileNames]) in the types [types] picks, the family in `general.architecture` and the CLIP
 * tokenizer in `tokenizer.ggml.*`. Tensors are converted one at a time as the file is written, so memory stays at a
 * few row batches whatever the model's size; the file appears only once it is whole.
 */
class GgufConverter(private val types: ConvertedTypes) {

    /** What a conversion wrote: the tensor count per stored type and the file's size. */
    data class Result(val tensorsByType: Map<DType, Int>, val fileBytes: Long)

    /** Converts [model] into [output]; [progress] hears "converting" once per tensor written. */
    fun convert(model: AssembledModel, output: Path, progress: ProgressListener = ProgressListener.NONE): Result {
        val prefixes = model.components.keys.associateWith { SingleFileNames.prefix(model.family, it) }
        val vocabulary = ModelVocabulary.of(model)
        val writer = GgufWriter()
            .put("general.architecture", ARCHITECTURE.getValue(model.family))
            .put("tokenizer.ggml.model", "clip")
            .putStrings("tokenizer.ggml.tokens", vocabulary.tokens)
            .putStrings("tokenizer.ggml.merges", vocabulary.merges)
        val total = model.components.values.sumOf { it.tensors.size }
        val counts = sortedMapOf<DType, Int>()
        var written = 0
        for ((kind, component) in model.components) {
            for ((canonical, ref) in component.tensors) {
                val name = prefixes.getValue(kind) + canonical
                val type = types.typeFor(name, ref.shape, ref.type)
                counts.merge(type, 1, Int::plus)
                val data = ConvertedTensorData(ref, type)
                writer.addTensor(name, type, ref.shape, TensorData { out ->
                    data.writeTo(out)
                    progress.onProgress("converting", ++written, total)
                })
            }
        }
        writer.write(output)
        return Result(counts, Files.size(output))
    }

    private companion object {
        /** The labels sdj's own GGUF writers use; stable-diffusion.cpp tells the family from tensor names instead. */
        val ARCHITECTURE = mapOf(ModelFamily.SD1 to "sd1", ModelFamily.SD2 to "sd2", ModelFamily.SDXL to "sdxl")
    }
}
