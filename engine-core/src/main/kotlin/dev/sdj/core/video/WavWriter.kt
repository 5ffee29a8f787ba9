package dev.sdj.core.video

import java.nio.file.Path

/**
 * A RIFF WAVE file: 16-bit PCM (WAVE_FORMAT_PCM), or 32-bit float (WAVE_FORMAT_IEEE_FLOAT, with the 'fact' chunk
 * non-PCM formats carry) when [float]. The parameters go in a 'LIST INFO' 'ICMT' before the data, as in the AVI.
 */
class WavWriter @JvmOverloads constructor(private val float: Boolean = false) {

    /** Writes [audio] to [out], replacing it atomically ([VideoWriter.write]). */
    fun write(audio: AudioTrack, parameters: String?, out: Path) {
        val wav = encode(audio, parameters)
        writeVideoFile("WAV", out) { channel -> wav.writeTo(channel) }
    }

    internal fun encode(audio: AudioTrack, parameters: String?): LittleEndianBuffer {
        val bytesPerSample = if (float) 4 else 2
        val wav = LittleEndianBuffer(audio.samples.size * bytesPerSample + 1024)
        val riff = wav.beginChunk("RIFF", "WAVE")
        val fmt = wav.beginChunk("fmt ")
        wav.u16(if (float) WAVE_FORMAT_IEEE_FLOAT else WAVE_FORMAT_PCM)
        wav.u16(audio.channels)
        wav.u32(audio.sampleRate)
        wav.u32(audio.sampleRate * audio.channels * bytesPerSample)
        wav.u16(audio.channels * bytesPerSample) // block align: one sample frame
        wav.u16(8 * bytesPerSample)
        if (float) wav.u16(0) // WAVEFORMATEX's cbSize: no extra bytes
        wav.endChunk(fmt)
        if (float) {
            val fact = wav.beginChunk("fact")
            wav.u32(audio.frames)
            wav.endChunk(fact)
        }
        if (!parameters.isNullOrEmpty()) writeInfoComment(wav, parameters)
        val data = wav.beginChunk("data")
        if (float) for (s in audio.samples) wav.u32(java.lang.Float.floatToRawIntBits(s)) else wav.bytes(audio.pcm16())
        wav.endChunk(data)
        wav.endChunk(riff)
        return wav
    }

    companion object {
        const val WAVE_FORMAT_PCM = 1
        const val WAVE_FORMAT_IEEE_FLOAT = 3
    }
}
