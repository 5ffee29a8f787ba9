package dev.sdj.core.family.sd

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InitImage
import dev.sdj.core.image.InpaintMask
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * The SD family's image-to-image phase: the VAE encoder turns the request's init image into the latent denoising
 * starts from ([InitLatent]). With a mask it also makes the latent mask, and for an inpainting checkpoint the masked
 * image's latent, encoded after the init image's as stable-diffusion.cpp does (an inpainting checkpoint without a mask
 * is given one that repaints everything, as sd.cpp gives it). A request without an init image skips the phase, so
 * text-to-image neither measures nor runs it.
 */
class SdImageEncoding(private val diffusion: SdDiffusion) : Phase {
    override val label = "image encoding"
    override val components = listOf(ComponentKind.VAE)
    override val peakLever = "--on-cpu vae would lower it"

    override fun runsFor(request: GenerationRequest): Boolean = request.initImage().isPresent

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights) =
        listOf(PhaseGraph(SdDiffusion.VAE_ENCODER, diffusion.encoderGraph(request, weights(ComponentKind.VAE))))

    override fun run(run: PhaseRun): Any {
        val request = run.request
        val (width, height) = request.width() to request.height()
        val image = InitImage.read(request.initImage().get(), width, height)
        val mask = request.mask().map { InpaintMask.read(it, width, height) }.orElse(null)
            ?: if (diffusion.inpainting) FloatArray(width * height) { 1f } else null
        run.progress.onProgress(label, 0, 1)
        val images = if (diffusion.inpainting) listOf(image, Inpainting.maskedImage(image, mask!!)) else listOf(image)
        val latents = diffusion.encode(request, run.weights(ComponentKind.VAE), images, run.session)
        run.progress.onProgress(label, 1, 1)
        if (mask == null) return InitLatent(latents[0])
        val latentMask = Inpainting.latentMask(mask, width, height)
        if (!diffusion.inpainting) return InitLatent(latents[0], latentMask)
        return InitLatent(latents[0], Inpainting.dilated(latentMask, width / 8, height / 8), InpaintingInput.of(latentMask, latents[1]))
    }
}
