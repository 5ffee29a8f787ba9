package dev.sdj.core.model

import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.ModelInspection
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlException

/** [ModelInspector]'s report in engine-api's types, device bytes for every device of this process. */
object ModelInspections {
    fun of(config: EngineConfig): ModelInspection {
        val ggml = try {
            Ggml.get()
        } catch (e: GgmlException) {
            throw EngineException("ggml is not usable: ${e.message}", e)
        }
        val report = ModelInspector.inspect(config.model(), config.tokenizer().orElse(null), ggml, config.t5Tokenizer().orElse(null))
        return ModelInspection(
            report.family.name, report.family.label, report.inputs,
            report.components.map { c ->
                ModelInspection.Component(role(c.kind), c.tensorCount, c.parameterCount, c.fileBytes,
                    c.bytesByType.entries.associateTo(LinkedHashMap()) { (type, bytes) -> type.name to bytes },
                    c.deviceBytes, c.unsupportedTensors, c.convertedTensors)
            },
            report.ignoredTensors,
            report.tokenizers.map { (kind, source) -> ModelInspection.Tokenizer(role(kind), source.description) },
            report.missingTokenizers.map(::role),
        )
    }

    private fun role(kind: ComponentKind) = ModelInspection.Role(kind.name, kind.label)
}
