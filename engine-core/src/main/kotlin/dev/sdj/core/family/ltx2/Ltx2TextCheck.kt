package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.gemma3.Gemma3Component
import dev.sdj.core.family.gemma3.Gemma3Names
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind

/**
 * What the conditioning checks of an LTX-2 model's files before anything loads: Gemma-3 is whole, and the connectors'
 * aggregate projections take as many features as this Gemma gives (its width × every hidden state), so a connectors
 * file meant for another text encoder is named instead of failing inside a graph.
 */
object Ltx2TextCheck {
    /** Gemma's width, once the files agree. */
    fun check(model: AssembledModel): Long {
        val gemma = model.components.getValue(ComponentKind.TEXT_ENCODER)
        val layers = Gemma3Component.requireComplete(gemma)
        val embedding = gemma.tensors.getValue(Gemma3Names.EMBEDDING)
        val hidden = embedding.shape[0]
        val connectors = model.components.getValue(ComponentKind.TEXT_CONNECTORS)
        for (name in listOf(Ltx2TextArchitecture.VIDEO_AGGREGATE, Ltx2TextArchitecture.AUDIO_AGGREGATE)) {
            val ref = connectors.tensors["$name.weight"] ?: throw ModelFileException(connectors.tensors.values.first().file.path, null,
                "the LTX-2 text connectors lack '$name.weight': pass the ltx-2.3 embeddings_connectors file with the checkpoint")
            if (ref.shape[0] != hidden * (layers + 1)) {
                throw ModelFileException(ref.file.path, ref.info.name, "takes ${ref.shape[0]} features, but the Gemma-3 in " +
                    "${embedding.file.path} ($hidden wide, $layers layers) gives ${hidden * (layers + 1)}: these connectors are " +
                    "not for this text encoder")
            }
        }
        return hidden
    }
}
