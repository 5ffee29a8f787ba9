package dev.sdj.core.family.sd

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/** The SD family's last phase: the VAE decodes the latent phase [latentPhase] produced, whole or in tiles. */
class SdDecoding(private val diffusion: SdDiffusion, private val latentPhase: Int) : Phase {
    override val label = "decoding"
    override val components = listOf(ComponentKind.VAE)
    override val peakLever = "tiled decoding (--vae-tile 256) or --on-cpu vae would lower it"

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
        listOf(PhaseGraph(SdDiffusion.VAE_DECODER, diffusion.decoderGraph(request, weights(ComponentKind.VAE))))

    override fun run(run: PhaseRun): Any = diffusion.decode(run.request, run.weights(ComponentKind.VAE),
        run.earlier[latentPhase] as FloatArray, run.session, run.progress, run.cancel)
}
