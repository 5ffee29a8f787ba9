package dev.sdj.core.video

import dev.sdj.api.FrameFileNames
import dev.sdj.api.InvalidRequestException
import dev.sdj.core.image.GenerationParameters
import dev.sdj.core.image.PngWriter
import java.io.IOException
import java.nio.file.Path

/**
 * One PNG per frame, named by the output's [FrameFileNames] pattern (`frame_%03d.png`), each carrying the parameters
 * in A1111's "parameters" text as a generated image's PNG does. Every file is replaced atomically; when one fails,
 * the frames before it stay written and the error names the failing file. The clip's sound, if any, goes to a WAV
 * beside the frames ([AudioSidecar]).
 */
object PngFramesWriter : VideoWriter {
    override fun write(video: VideoFrames, parameters: String?, out: Path) {
        val fileName = out.fileName?.toString() ?: throw IOException("cannot write PNG frames to $out: it has no file name pattern")
        val names = try {
            FrameFileNames.parse(fileName)
        } catch (e: InvalidRequestException) {
            throw IOException("cannot write PNG frames to $out: ${e.message}", e)
        }
        val text = if (parameters.isNullOrEmpty()) emptyMap() else mapOf(GenerationParameters.PNG_KEY to parameters)
        for ((i, frame) in video.frames.withIndex()) {
            PngWriter.write(frame, text, out.resolveSibling(names.name(i)))
        }
        AudioSidecar.write(video, parameters, out)
    }
}
