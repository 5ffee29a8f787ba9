package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component

/**
 * What the denoising checks of an LTX-2 DiT's file before anything loads: every tensor [Ltx2DitTensors] lists for the
 * dimensions its weights give, in that shape, and text connectors whose contexts are as wide as the DiT's text
 * attention takes them; a file that is not a whole LTX-2 DiT, or that belongs to other connectors, is named instead of
 * failing inside a graph.
 */
object Ltx2DitCheck {
    /**
     * The DiT's dimensions, once [dit] is whole and agrees with [connectors] (the TEXT_CONNECTORS component, when the
     * model has one).
     */
    fun check(dit: Component, connectors: Component?): Ltx2DitDimensions {
        val file = dit.tensors.values.first().file.path
        val d = try {
            Ltx2DitDimensions.of(dit)
        } catch (e: RuntimeException) {
            if (e !is NoSuchElementException && e !is IllegalArgumentException && e !is IndexOutOfBoundsException) throw e
            throw ModelFileException(file, null, "is not an LTX-2 audio-video DiT: ${e.message}", e)
        }
        for (entry in Ltx2DitTensors.of(d)) {
            val expected = entry.torchShape.reversed()
            val ref = dit.tensors[entry.name] ?: throw ModelFileException(file, null,
                "lacks '${entry.name}', which an LTX-2 DiT of ${d.blocks} blocks has: the file is incomplete or not an LTX-2.3 DiT")
            if (ref.shape != expected) {
                throw ModelFileException(ref.file.path, ref.info.name, "is ${ref.shape}, an LTX-2 DiT of these dimensions has $expected ($d)")
            }
        }
        if (connectors != null) {
            for ((connector, width) in listOf(Ltx2TextArchitecture.VIDEO_CONNECTOR to d.videoContext, Ltx2TextArchitecture.AUDIO_CONNECTOR to d.audioContext)) {
                val ref = connectors.tensors["$connector.transformer_1d_blocks.0.attn1.to_q.weight"] ?: continue
                if (ref.shape[1] != width) {
                    throw ModelFileException(ref.file.path, ref.info.name, "gives contexts ${ref.shape[1]} wide, but the DiT in $file " +
                        "takes $width: these connectors are not this DiT's")
                }
            }
        }
        return d
    }
}
