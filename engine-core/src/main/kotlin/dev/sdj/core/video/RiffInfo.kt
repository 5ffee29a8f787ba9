package dev.sdj.core.video

/** A 'LIST INFO' holding [text] as its 'ICMT' comment, NUL-terminated as INFO strings are: where RIFF files (AVI, WAV) keep the parameters. */
internal fun writeInfoComment(riff: LittleEndianBuffer, text: String) {
    val info = riff.beginChunk("LIST", "INFO")
    val icmt = riff.beginChunk("ICMT")
    riff.bytes(text.toByteArray(Charsets.UTF_8))
    riff.u8(0)
    riff.endChunk(icmt)
    riff.endChunk(info)
}
