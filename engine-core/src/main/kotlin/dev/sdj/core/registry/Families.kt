package dev.sdj.core.registry

import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.family.flux.FluxPipeline
import dev.sdj.core.family.ltx2.Ltx2Pipeline
import dev.sdj.core.family.sd.SdPipeline
import dev.sdj.core.family.sdxl.SdxlPipeline
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.pipeline.GenerationPipeline

/**
 * The families that can generate, each by the function that opens its pipeline for a model: the one place that
 * names them. The engine and the scheduler see only [GenerationPipeline]; adding a family is a package and a line here.
 */
object Families {
    private val pipelines: Map<ModelFamily, (AssembledModel) -> GenerationPipeline> = mapOf(
        ModelFamily.SD1 to SdPipeline::open,
        ModelFamily.SD2 to SdPipeline::open,
        ModelFamily.SDXL to SdxlPipeline::open,
        ModelFamily.FLUX to FluxPipeline::open,
        ModelFamily.LTX2 to Ltx2Pipeline::open,
    )

    fun pipeline(model: AssembledModel): GenerationPipeline {
        val open = pipelines[model.family] ?: throw UnsupportedModelException("${model.family.label} is recognised but cannot " +
            "generate yet: only ${pipelines.keys.joinToString { it.label }} have a pipeline")
        return open(model)
    }
}
