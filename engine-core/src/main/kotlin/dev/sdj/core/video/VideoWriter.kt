package dev.sdj.core.video

import dev.sdj.core.model.safetensors.writeAtomically
import java.io.IOException
import java.nio.channels.FileChannel
import java.nio.file.Path

/** Writes a clip into one file format. */
interface VideoWriter {
    /**
     * Writes [video] to [out], replacing it atomically: the bytes go to a temporary file beside [out], which is renamed
     * over it once complete, so [out] is never a partial file and a failure leaves nothing behind. [parameters] (the
     * A1111 "parameters" text, see [dev.sdj.core.image.GenerationParameters.infotext]) goes where the format has a
     * place for text; null writes none.
     *
     * @throws IOException naming [out] when it cannot be written
     */
    @Throws(IOException::class)
    fun write(video: VideoFrames, parameters: String?, out: Path)
}

/** [writeAtomically] with the failure's message naming the [format] and the path. */
internal fun writeVideoFile(format: String, out: Path, body: (FileChannel) -> Unit) {
    try {
        writeAtomically(out, body)
    } catch (e: IOException) {
        throw IOException("cannot write $format $out: ${e.javaClass.simpleName}: ${e.message}", e)
    }
}
