package dev.sdj.core.engine

import dev.sdj.api.Benchmarks
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.GeneratedVideo
import dev.sdj.api.InvalidRequestException
import dev.sdj.api.ProgressListener
import dev.sdj.api.Tools
import dev.sdj.api.VideoFormat
import dev.sdj.core.bench.SdjBenchmarks
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.convert.ConvertedTypes
import dev.sdj.core.model.convert.GgufConverter
import dev.sdj.core.video.AnimatedWebpWriter
import dev.sdj.core.video.MjpegAviWriter
import dev.sdj.core.video.Mp4Writer
import dev.sdj.core.video.PngFramesWriter
import dev.sdj.core.video.VideoFrames
import java.io.IOException
import java.nio.file.Path
import java.util.regex.Pattern

/**
 * engine-api's [Tools]: conversion through [GgufConverter], video files through the `dev.sdj.core.video` writers,
 * benchmarks through [SdjBenchmarks]. Stateless.
 */
object SdjTools : Tools {
    override fun conversionType(name: String): String = ConvertedTypes.parse(name).ggml!!.ggmlName()

    override fun convert(source: EngineConfig, output: Path, type: String, keep: List<Pattern>, progress: ProgressListener): Tools.Conversion =
        ggmlRefusals {
            val model = ModelAssembly.assemble(ModelOpener.open(source.model(), source.tokenizer().orElse(null), source.t5Tokenizer().orElse(null)))
            val result = GgufConverter(ConvertedTypes(ConvertedTypes.parse(type), keep)).convert(model, output, progress)
            Tools.Conversion(model.family.label, result.fileBytes,
                result.tensorsByType.entries.associateTo(LinkedHashMap()) { (t, n) -> t.name.lowercase() to n })
        }

    override fun writeVideo(video: GeneratedVideo, parameters: String?, output: Path) {
        val writer = when (VideoFormat.of(output)) {
            VideoFormat.MP4 -> Mp4Writer()
            VideoFormat.AVI -> MjpegAviWriter()
            VideoFormat.WEBP -> AnimatedWebpWriter
            VideoFormat.PNG_FRAMES -> PngFramesWriter
        }
        try {
            writer.write(VideoFrames.of(video), parameters, output)
        } catch (e: IOException) {
            // The writers' messages already name the format and the path.
            throw EngineException(e.message ?: "cannot write the video to $output", e)
        } catch (e: IllegalArgumentException) {
            throw InvalidRequestException("cannot write the video to $output: ${e.message}")
        } catch (e: IllegalStateException) {
            throw EngineException("cannot write the video to $output: ${e.message}", e)
        }
    }

    override fun benchmarks(): Benchmarks = SdjBenchmarks
}
