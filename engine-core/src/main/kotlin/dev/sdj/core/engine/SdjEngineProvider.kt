package dev.sdj.core.engine

import dev.sdj.api.DeviceReport
import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineException
import dev.sdj.api.EngineProvider
import dev.sdj.api.ModelInspection
import dev.sdj.api.Tools
import dev.sdj.core.device.Devices
import dev.sdj.core.model.ModelInspections
import dev.sdj.core.registry.DefaultModel
import dev.sdj.ggml.GgmlException
import dev.sdj.ggml.NativesDirectory
import java.nio.file.Path

/** engine-api's entry points, found through the ServiceLoader: stateless, so thread-safe. */
class SdjEngineProvider : EngineProvider {
    override fun open(config: EngineConfig): Engine = ggmlRefusals { SdjEngine(config) }

    override fun devices(): DeviceReport = ggmlRefusals { Devices.report() }

    override fun inspect(model: EngineConfig): ModelInspection = ggmlRefusals { ModelInspections.of(model) }

    override fun demoModel(): Path = DefaultModel.path(NativesDirectory.defaultCacheRoot())

    override fun tools(): Tools = SdjTools
}

/**
 * Runs [work], turning what ggml refuses into the API's [EngineException]: an application of engine-api alone cannot
 * name ggml's exception type.
 */
internal inline fun <T> ggmlRefusals(work: () -> T): T = try {
    work()
} catch (e: GgmlException) {
    throw EngineException("ggml refused the work: ${e.message}", e)
}
