package dev.sdj.core.model

import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.ParamLayout
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.ggml.Ggml
import java.nio.file.Path

/** What `inspect` reports: the model as the engine would load it, and what it needs on each device. */
object ModelInspector {

    data class ComponentReport(
        val kind: ComponentKind,
        val tensorCount: Int,
        val parameterCount: Long,
        val fileBytes: Long,
        val bytesByType: Map<DType, Long>,
        /** ggml device name → bytes the component's parameters take there, as the engine would lay them out. */
        val deviceBytes: Map<String, Long>,
        /** Tensors whose type cannot be a device parameter (bool, unsigned integers). */
        val unsupportedTensors: List<String>,
        /**
         * ggml device name → tensors loaded in another type because that device's ops do not take theirs, counted
         * by conversion (e.g. "q8_0 → f32" for quantized norm scales, "bf16 → f32" for kernels).
         */
        val convertedTensors: Map<String, Map<String, Int>>,
    )

    data class Report(
        val family: ModelFamily,
        val inputs: List<Path>,
        val components: List<ComponentReport>,
        val ignoredTensors: List<String>,
        val tokenizers: Map<ComponentKind, TokenizerSource>,
        /** Text-encoder slots that have no tokenizer yet: the user must pass one. */
        val missingTokenizers: List<ComponentKind>,
    )

    /**
     * @param ggml when given, device bytes are computed for each of its devices
     * @param t5Tokenizer the T5 text encoder's tokenizer, as for [ModelOpener.open]
     */
    @JvmOverloads
    fun inspect(paths: List<Path>, tokenizer: Path? = null, ggml: Ggml? = null, t5Tokenizer: Path? = null): Report {
        val model = ModelAssembly.assemble(ModelOpener.open(paths, tokenizer, t5Tokenizer))
        val devices = ggml?.devices().orEmpty()
        val components = model.components.values.map { c ->
            val bytesByType = c.tensors.values.groupBy { it.type }.mapValues { (_, refs) -> refs.sumOf { it.byteSize } }
            val deviceBytes = LinkedHashMap<String, Long>()
            val converted = LinkedHashMap<String, Map<String, Int>>()
            var unsupported = emptyList<String>()
            for (device in devices) {
                val specs = ParamSpecs.of(c, DeviceTypeSupport.of(ggml!!, device))
                unsupported = specs.unsupported
                deviceBytes[device.name()] = ParamLayout.bytesNeeded(ggml, device.bufferType(), specs.specs)
                converted[device.name()] = specs.conversionCounts()
            }
            ComponentReport(c.kind, c.tensors.size, c.parameterCount, c.fileBytes, bytesByType.toSortedMap(), deviceBytes, unsupported, converted)
        }
        val textSlots = model.components.keys.filter {
            it == ComponentKind.TEXT_ENCODER || it == ComponentKind.TEXT_ENCODER_2 || it == ComponentKind.TEXT_ENCODER_3
        }
        return Report(model.family, model.inputs.map { it.source }, components, model.ignoredTensors, model.tokenizers,
            textSlots.filter { it !in model.tokenizers })
    }
}
