package dev.sdj.core.family

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
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
import dev.sdj.core.sampling.NoiseRng
import dev.sdj.ggml.Tensor

/**
 * The image-to-image phase of the image families: the VAE encoder turns the request's init image into the latent
 * denoising starts from, in tiles when the request decodes in tiles. A request without an init image skips it, so
 * text-to-image neither measures nor runs it. The encoder is read from the [vae] component beside the decoder.
 */
class ImageEncoding(private val encoder: LatentEncoder, private val vae: Component) : Phase {
    /**
     * What a family's diffusion offers the phase: its encoder's graph and latent shape, how a draw from the encoder's
     * distribution becomes the latent sampling takes, and what denoising starts from.
     */
    interface LatentEncoder {
        /** Image pixels per latent cell along each side. */
        val downscale: Int

        /** The latent's channels; the encoder gives twice as many (the means, then the log-variances). */
        val latentChannels: Int

        /** The encoder's graph over one [tileWidth]×[tileHeight] image tile, its input named [IMAGE]. */
        fun encoderGraph(vae: Weights, tileWidth: Long, tileHeight: Long): (CompiledGraph.Builder) -> Tensor

        /** A draw from the encoder's distribution as sampling takes it (SD scales it, Flux shifts and scales it). */
        fun samplerLatent(drawn: FloatArray): FloatArray

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
        return listOf(PhaseGraph(GRAPH, encoderGraph(request, weights(ComponentKind.VAE))))
    }

    /** The encoder's graph over one image tile of the request's tiling (the whole image unless it decodes in tiles). */
    private fun encoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor {
        val tiles = TiledEncoding(request, encoder.downscale)
        return encoder.encoderGraph(vae, tiles.tileWidth, tiles.tileHeight)
    }

    /**
     * The latents of [images] ([W, H, 3] in [-1, 1], the request's size) as sampling takes them: draws from the
     * encoder's latent distribution ([LatentDistribution]), their normal values continuing one stream seeded with the
     * request's seed image after image, as stable-diffusion.cpp draws an init image's latent and then the masked
     * image's from the rng seeded for the generation.
     */
    private fun encode(request: GenerationRequest, vae: Weights, images: List<FloatArray>, session: GraphSession, progress: ProgressListener,
                       cancel: CancellationToken): List<FloatArray> {
        val graph = session.compile(GRAPH, build = encoderGraph(request, vae))
        val tiles = TiledEncoding(request, encoder.downscale)
        val rng = NoiseRng.of(request)
        return images.map { image ->
            val moments = tiles.encode(image, 2 * encoder.latentChannels, graph, IMAGE, session.backend, progress, cancel)
            encoder.samplerLatent(LatentDistribution.sample(moments, rng.randn(moments.size / 2))).also { FiniteValues.require(it) { TiledEncoding.PHASE } }
        }
    }

    override fun run(run: PhaseRun): Any {
        val image = InitImage.read(run.request.initImage().get(), run.request.width(), run.request.height())
        return encoder.start(run.request, image) { images ->
            encode(run.request, run.weights(ComponentKind.VAE), images, run.session, run.progress, run.cancel)
        }
    }

    companion object {
        val GRAPH = GraphKey("vae encoder")

        /** The name of the encoder graph's image input. */
        const val IMAGE = "image"
        private const val ENCODER_INPUT = "encoder.conv_in.weight"
    }
}
