package dev.sdj.core.video

import dev.sdj.api.FrameFileNames
import java.nio.file.Path

/**
 * The sound of a clip written in a format without audio (animated WebP, PNG frames): a 16-bit WAV beside it, named
 * after it — `clip.webp` → `clip.wav`, `frame_%03d.png` → `frame.wav` (the frame number and the separators before it
 * dropped; `audio.wav` when nothing is left).
 */
object AudioSidecar {
    fun pathFor(out: Path): Path {
        val name = out.fileName?.toString() ?: return out.resolveSibling(FALLBACK)
        val plain = if (FrameFileNames.isPattern(name)) FrameFileNames.parse(name).withoutNumber() else name
        val stem = plain.substringBeforeLast('.').trimEnd('_', '-', '.', ' ')
        return out.resolveSibling(if (stem.isEmpty()) FALLBACK else "$stem.wav")
    }

    /** Writes [video]'s sound beside [out] when it has any. */
    fun write(video: VideoFrames, parameters: String?, out: Path) {
        video.audio?.let { WavWriter().write(it, parameters, pathFor(out)) }
    }

    private const val FALLBACK = "audio.wav"
}
