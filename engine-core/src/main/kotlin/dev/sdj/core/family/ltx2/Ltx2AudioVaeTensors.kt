package dev.sdj.core.family.ltx2

/**
 * Every tensor of LTX-2's audio VAE decoder of given [Ltx2AudioVaeDimensions], in the checkpoint's names without
 * `audio_vae.` and PyTorch shapes: what [Ltx2AudioVae] reads, what [TinyLtx2AudioVae] writes and what
 * [Ltx2AudioVaeCheck] requires of a file. (The checkpoint's encoder, which decoding never reads, is not listed.)
 */
object Ltx2AudioVaeTensors {
    /** One tensor: its name, its PyTorch shape, whether it is a convolution kernel, whether its values sit around 1. */
    data class Entry(val name: String, val torchShape: List<Long>, val isKernel: Boolean = false, val isNormScale: Boolean = false)

    fun of(d: Ltx2AudioVaeDimensions): List<Entry> {
        val out = ArrayList<Entry>()
        fun conv(name: String, cin: Long, cout: Long, kernel: Long = 3) {
            out += Entry("decoder.$name.conv.weight", listOf(cout, cin, kernel, kernel), isKernel = true)
            out += Entry("decoder.$name.conv.bias", listOf(cout))
        }
        fun block(name: String, cin: Long, cout: Long) {
            conv("$name.conv1", cin, cout)
            conv("$name.conv2", cout, cout)
            if (cin != cout) conv("$name.nin_shortcut", cin, cout, kernel = 1)
        }
        val values = d.latentChannels * d.latentBins
        out += Entry(Ltx2AudioVaeDimensions.MEAN, listOf(values))
        out += Entry(Ltx2AudioVaeDimensions.STD, listOf(values), isNormScale = true)
        conv("conv_in", d.latentChannels, d.hidden)
        for (j in 1..d.midBlocks) block("mid.block_$j", d.hidden, d.hidden)
        for (level in d.levels) {
            for (j in 0 until level.blocks) block("up.${level.index}.block.$j", if (j == 0) level.inChannels else level.channels, level.channels)
            if (level.upsamples) conv("up.${level.index}.upsample.conv", level.channels, level.channels)
        }
        conv("conv_out", d.outHidden, d.audioChannels)
        return out
    }
}
