package dev.sdj.core.family.sd

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InitImage
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * The SD family's image-to-image phase: the VAE encoder turns the request's init image into the latent denoising
 * starts from. A request without an init image skips it, so text-to-image neither measures nor runs it.
 */
class SdImageEncoding(private val diffusion: SdDiffusion) : Phase {
    override val label = "image encoding"
    override val components = listOf(ComponentKind.VAE)
    override val peakLever = "--on-cpu vae would lower it"

    override fun runsFor(request: GenerationRequest): Boolean = request.initImage().isPresent

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
        listOf(PhaseGraph(SdDiffusion.VAE_ENCODER, diffusion.encoderGraph(request, weights(ComponentKind.VAE))))

    override fun run(run: PhaseRun): Any {
        val image = InitImage.read(run.request.initImage().get(), run.request.width(), run.request.height())
        run.progress.onProgress(label, 0, 1)
        return diffusion.encode(run.request, run.weights(ComponentKind.VAE), image, run.session).also { run.progress.onProgress(label, 1, 1) }
    }
}
