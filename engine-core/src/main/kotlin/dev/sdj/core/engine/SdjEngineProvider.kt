package dev.sdj.core.engine

import dev.sdj.api.Engine
import dev.sdj.api.EngineConfig
import dev.sdj.api.EngineProvider

class SdjEngineProvider : EngineProvider {
    override fun open(config: EngineConfig): Engine = SdjEngine(config)
}
