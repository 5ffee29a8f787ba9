package dev.sdj.core.model.convert

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.sd.OpenClipNames
import dev.sdj.core.family.sd.SdTensorLayout
import dev.sdj.core.model.Component
import dev.sdj.core.model.TensorRef

/**
 * An OpenCLIP text encoder (SD 2.x's, SDXL's second) as original checkpoints name it, which is what
 * stable-diffusion.cpp reads for these encoders: its graph takes q, k and v as one fused in_proj, so Hugging Face
 * names under the checkpoint prefix would not load there. q, k and v are stacked back into `attn.in_proj_weight`/
 * `_bias`, the rest renamed, and a Hugging Face text projection (a diffusers folder's) transposed into OpenCLIP's
 * orientation. `logit_scale`, which no pipeline reads, is not written.
 */
object OpenClipTensors {
    fun tensors(component: Component): List<ConvertedTensor> {
        val stacked = LinkedHashMap<String, MutableMap<Int, TensorRef>>()
        val out = LinkedHashMap<String, ConvertedTensor>()
        for ((name, ref) in component.tensors) {
            val origin = OpenClipNames.fromHuggingFace(name)
                ?: throw ModelFileException(ref.file.path, ref.info.name, "has no OpenCLIP name; cannot write the ${component.kind.label} as OpenCLIP")
            when (name) {
                SdTensorLayout.TEXT_PROJECTION -> out[origin.name] = ConvertedTensor(origin.name, ref.shape.reversed(), listOf(ref), transposed = true)
                else -> {
                    stacked.getOrPut(origin.name) { sortedMapOf() }[origin.part] = ref
                    out.putIfAbsent(origin.name, ConvertedTensor(origin.name, emptyList(), emptyList()))
                }
            }
        }
        for ((name, parts) in stacked) {
            val first = parts.values.first()
            if (parts.keys != (0 until parts.size).toSet() || (name.contains("in_proj") && parts.size != 3)) {
                throw ModelFileException(first.file.path, null, "the ${component.kind.label} lacks part of its fused '$name'")
            }
            out[name] = ConvertedTensor.stacked(name, parts.values.toList())
        }
        return out.values.toList()
    }
}
