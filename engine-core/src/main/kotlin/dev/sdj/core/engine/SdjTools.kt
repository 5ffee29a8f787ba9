package dev.sdj.core.engine

import dev.sdj.api.Benchmarks
import dev.sdj.api.EngineConfig
import dev.sdj.api.ProgressListener
import dev.sdj.api.Tools
import dev.sdj.core.bench.SdjBenchmarks
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import dev.sdj.core.model.convert.ConvertedTypes
import dev.sdj.core.model.convert.GgufConverter
import java.nio.file.Path
import java.util.regex.Pattern

/** engine-api's [Tools]: conversion through [GgufConverter], benchmarks through [SdjBenchmarks]. Stateless. */
object SdjTools : Tools {
    override fun conversionType(name: String): String = ConvertedTypes.parse(name).ggml!!.ggmlName()

    override fun convert(source: EngineConfig, output: Path, type: String, keep: List<Pattern>, progress: ProgressListener): Tools.Conversion =
        ggmlRefusals {
            val model = ModelAssembly.assemble(ModelOpener.open(source.model(), source.tokenizer().orElse(null), source.t5Tokenizer().orElse(null)))
            val result = GgufConverter(ConvertedTypes(ConvertedTypes.parse(type), keep)).convert(model, output, progress)
            Tools.Conversion(model.family.label, result.fileBytes,
                result.tensorsByType.entries.associateTo(LinkedHashMap()) { (t, n) -> t.name.lowercase() to n })
        }

    override fun benchmarks(): Benchmarks = SdjBenchmarks
}
