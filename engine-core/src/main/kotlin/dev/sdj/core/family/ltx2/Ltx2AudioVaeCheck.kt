package dev.sdj.core.family.ltx2

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component

/**
 * What audio decoding checks of an LTX-2 audio VAE before anything loads: the dimensions its weights give, every
 * tensor [Ltx2AudioVaeTensors] lists for them in that shape, a latent of LTX-2's 8 channels × 16 bins, and no
 * attention block (Lightricks' decoder can have one; LTX-2.3's has none and sd.cpp builds none). A file that is not a
 * whole LTX-2 audio VAE is named instead of failing inside a graph.
 */
object Ltx2AudioVaeCheck {
    fun check(vae: Component): Ltx2AudioVaeDimensions {
        val file = vae.tensors.values.first().file.path
        val d = try {
            Ltx2AudioVaeDimensions.of(vae)
        } catch (e: RuntimeException) {
            if (e !is NoSuchElementException && e !is IllegalArgumentException && e !is IndexOutOfBoundsException) throw e
            throw ModelFileException(file, null, "is not an LTX-2 audio VAE decoder: ${e.message}", e)
        }
        if (d.latentChannels != Ltx2VideoShape.AUDIO_CHANNELS.toLong() || d.latentBins != Ltx2VideoShape.AUDIO_BINS.toLong()) {
            throw ModelFileException(file, null, "decodes latents of ${d.latentChannels} channels × ${d.latentBins} bins; LTX-2's audio latent has " +
                "${Ltx2VideoShape.AUDIO_CHANNELS} × ${Ltx2VideoShape.AUDIO_BINS}")
        }
        vae.tensors.keys.firstOrNull { it.startsWith("decoder.") && ".attn" in it }?.let { name ->
            throw ModelFileException(vae.tensors.getValue(name).file.path, name, "belongs to an attention block, which LTX-2.3's audio decoder does not have")
        }
        for (entry in Ltx2AudioVaeTensors.of(d)) {
            val expected = entry.torchShape.reversed()
            val ref = vae.tensors[entry.name] ?: throw ModelFileException(file, null,
                "lacks '${entry.name}', which an LTX-2 audio decoder of these dimensions has: the file is incomplete or not LTX-2.3's audio VAE")
            if (ref.shape != expected) {
                throw ModelFileException(ref.file.path, ref.info.name, "is ${ref.shape}, an LTX-2 audio decoder of these dimensions has $expected ($d)")
            }
        }
        return d
    }
}
