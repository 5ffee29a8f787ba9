package dev.sdj.core.family.ltx2

import dev.sdj.api.GenerationRequest
import dev.sdj.api.ModelFileException
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InitImage
import dev.sdj.core.image.RequestFileDigests
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun

/**
 * LTX-2's image-to-video phase: the video VAE's encoder ([ComponentKind.VAE_ENCODER]) turns the request's init image,
 * resized to the request's size, into the latent frame denoising starts from ([Ltx2ImageEncoding]). Only a request
 * with an init image runs it, so text-to-video neither loads nor measures the encoder.
 *
 * @param missingEncoder why the model cannot encode (its VAE file has no `encoder.*`), said to a request with an init
 *   image when it is planned, before anything loads; null when it has the encoder
 */
class Ltx2FirstFrameEncoding private constructor(private val missingEncoder: ModelFileException?) : Phase {
    override val label = "image encoding"
    override val components = if (missingEncoder == null) listOf(ComponentKind.VAE_ENCODER) else emptyList()
    override val peakLever = "--on-cpu vae_encoder would lower it"

    override fun runsFor(request: GenerationRequest): Boolean = request.initImage().isPresent

    /** The image file's contents and the size it is read at; the encoder draws nothing, so its latent holds no seed. */
    override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String? {
        if (!request.initImage().isPresent) return null
        val shape = Ltx2VideoShape.of(request)
        return listOf(files.of(request.initImage().get(), "init image"), shape.width, shape.height).joinToString("\u0000")
    }

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
        missingEncoder?.let { throw it }
        val shape = Ltx2VideoShape.of(request)
        return listOf(Ltx2ImageEncoding(weights(ComponentKind.VAE_ENCODER)).graph(shape.width, shape.height))
    }

    override fun run(run: PhaseRun): Any {
        missingEncoder?.let { throw it }
        val shape = Ltx2VideoShape.of(run.request)
        val image = InitImage.read(run.request.initImage().get(), shape.width, shape.height)
        val w = run.weights(ComponentKind.VAE_ENCODER)
        run.progress.onProgress(label, 0, 1)
        return Ltx2ImageEncoding(w).encode(image, shape.width, shape.height, Ltx2LatentStatistics.of(w), run.session)
            .also { run.progress.onProgress(label, 1, 1) }
    }

    companion object {
        /** The phase for [model], whose video VAE ([ComponentKind.VAE]) it needs. */
        fun of(model: AssembledModel): Ltx2FirstFrameEncoding {
            if (ComponentKind.VAE_ENCODER in model.components) return Ltx2FirstFrameEncoding(null)
            val vae = model.components.getValue(ComponentKind.VAE)
            val file = vae.tensors.values.first().file.path
            return Ltx2FirstFrameEncoding(ModelFileException(file, null, "has no video VAE encoder (no 'vae.encoder.*' tensors, e.g. " +
                "'vae.encoder.conv_in.conv.weight'): image-to-video encodes the init image with it — pass the whole LTX-2.3 VAE"))
        }
    }
}
