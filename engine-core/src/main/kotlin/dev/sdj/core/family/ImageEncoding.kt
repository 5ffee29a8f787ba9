package dev.sdj.core.family

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InitImage
import dev.sdj.core.image.TiledEncoding
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.pipeline.Phase
import dev.sdj.core.pipeline.PhaseGraph
import dev.sdj.core.pipeline.PhaseRun
import dev.sdj.ggml.Tensor

/**
 * The image-to-image phase of the image families: the VAE encoder turns the request's init image into the latent
 * denoising starts from, in tiles when the request decodes in tiles. A request without an init image skips it, so
 * text-to-image neither measures nor runs it. The encoder is read from the [vae] component beside the decoder.
 */
class ImageEncoding(private val encoder: LatentEncoder, private val vae: Component) : Phase {
    /** What a family's diffusion offers the phase: the encoder's graph at the request's tile size, and the encoding. */
    interface LatentEncoder {
        fun encoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor

        /**
         * The latents of [images] ([W, H, 3] in [-1, 1], the request's size) as sampling takes them, their random
         * draws continuing one stream seeded with the request's seed.
         */
        fun encode(request: GenerationRequest, vae: Weights, images: List<FloatArray>, session: GraphSession, progress: ProgressListener,
                   cancel: CancellationToken): List<FloatArray>

        /**
         * What denoising starts from, given the init [image] and [encode] over the family's encoder: the image's latent,
         * unless the family adds to it (SD's inpainting masks and masked image).
         */
        fun start(request: GenerationRequest, image: FloatArray, encode: (List<FloatArray>) -> List<FloatArray>): Any = encode(listOf(image)).single()
    }

    override val label = TiledEncoding.PHASE
    override val components = listOf(ComponentKind.VAE)
    override val peakLever = "tiled encoding (--vae-tile 256) or --on-cpu vae would lower it"

    override fun runsFor(request: GenerationRequest): Boolean = request.initImage().isPresent

    override fun graphs(request: GenerationRequest, weights: (ComponentKind) -> Weights): List<PhaseGraph> {
        if (ENCODER_INPUT !in vae.tensors) {
            val file = vae.tensors.values.first().file.path
            throw UnsupportedModelException("the VAE in $file has no encoder ($ENCODER_INPUT and the rest of encoder.*): " +
                "image-to-image needs the autoencoder's encoder half")
        }
        return listOf(PhaseGraph(GRAPH, encoder.encoderGraph(request, weights(ComponentKind.VAE))))
    }

    override fun run(run: PhaseRun): Any {
        val image = InitImage.read(run.request.initImage().get(), run.request.width(), run.request.height())
        return encoder.start(run.request, image) { images ->
            encoder.encode(run.request, run.weights(ComponentKind.VAE), images, run.session, run.progress, run.cancel)
        }
    }

    companion object {
        val GRAPH = GraphKey("vae encoder")
        private const val ENCODER_INPUT = "encoder.conv_in.weight"
    }
}
