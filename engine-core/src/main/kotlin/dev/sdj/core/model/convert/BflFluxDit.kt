package dev.sdj.core.model.convert

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.flux.DiffusersFluxNames
import dev.sdj.core.model.Component
import dev.sdj.core.model.TensorRef

/**
 * A Flux DiT in diffusers' names as Black Forest Labs' tensors, the names stable-diffusion.cpp reads and its type rule
 * is written for (it keeps img_in., txt_in., final_layer. … as they are): q, k and v (and a single block's MLP input)
 * stacked back into the fused projection, the final modulation's halves put back in BFL's order, the rest renamed.
 * Only row ranges move, so the values are exactly the source's.
 */
object BflFluxDit {
    /** Whether [component] is a DiT in diffusers' names (the engine keeps the names a DiT comes in). */
    fun isDiffusers(component: Component): Boolean = component.tensors.keys.any { it.startsWith("x_embedder.") || it.startsWith("single_transformer_blocks.") }

    /** The BFL tensors of a diffusers-named DiT, in the order their first part appears. */
    fun tensors(component: Component): List<ConvertedTensor> {
        val fused = LinkedHashMap<String, MutableMap<Int, TensorRef>>()
        val out = LinkedHashMap<String, ConvertedTensor>()
        for ((name, ref) in component.tensors) {
            val origin = DiffusersFluxNames.origin(name)
                ?: throw ModelFileException(ref.file.path, ref.info.name, "is no tensor of diffusers' FluxTransformer2DModel; cannot name it as Black Forest Labs do")
            if (origin.halvesSwapped) {
                val half = ref.shape.last() / 2
                out[origin.bfl] = ConvertedTensor(origin.bfl, ref.shape, listOf(rows(ref, half, half), rows(ref, 0, half)))
            } else {
                fused.getOrPut(origin.bfl) { sortedMapOf() }[origin.part] = ref
                out.putIfAbsent(origin.bfl, ConvertedTensor(origin.bfl, emptyList(), emptyList()))
            }
        }
        for ((bfl, parts) in fused) {
            val expected = DiffusersFluxNames.targets(bfl)
            val first = parts.values.first()
            val missing = expected.indices.filter { it !in parts }
            if (missing.isNotEmpty()) {
                throw ModelFileException(first.file.path, null, "lacks ${missing.joinToString { expected[it] }}, part of '$bfl'")
            }
            out[bfl] = ConvertedTensor.stacked(bfl, parts.values.toList())
        }
        return out.values.toList()
    }

    /** Rows (the outermost dimension; a vector's values) [first, first + count) of [ref]. */
    private fun rows(ref: TensorRef, first: Long, count: Long): TensorRef {
        val inner = ref.shape.dropLast(1)
        val rowBytes = ref.type.byteSize(inner + 1L)
            ?: throw ModelFileException(ref.file.path, ref.info.name, "cannot be split into halves: ${ref.type} blocks span its rows")
        return ref.copy(shape = inner + count, byteOffset = ref.byteOffset + first * rowBytes, byteSize = count * rowBytes)
    }
}
