package dev.sdj.core.family

import dev.sdj.api.GenerationRequest
import dev.sdj.api.UnsupportedModelException
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.graph.Weights
import dev.sdj.core.image.InitImage
import dev.sdj.core.image.RequestFileDigests
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
 * distribution denoising's start is drawn from ([start]), in tiles when the request decodes in tiles. A request without
 * an init image skips it, so text-to-image neither measures nor runs it. The encoder is read from the [vae] component
 * beside the decoder.
 *
 * The phase's result holds no seed: a later request with the same image, size and tiling reuses it (the engine adds
 * the device and the LoRAs of the VAE to [reuseKey]) and the encoder is not loaded for it; only the draw is made anew.
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
         * The images the encoder encodes for [request] with the init [image], in the order their latents are drawn, the
         * init image last: the image itself, unless the family adds some.
         */
        fun images(request: GenerationRequest, image: FloatArray): List<FloatArray> = listOf(image)

        /** Whether [images] reads the request's mask (SD's inpainting checkpoints encode the masked image). */
        fun encodesMask(request: GenerationRequest): Boolean = false

        /**
         * What denoising starts from, given the [latents] of [images] in their order: the image's latent, unless the
         * family adds to it (SD's inpainting masks and masked image).
         */
        fun start(request: GenerationRequest, latents: List<FloatArray>): Any = latents.single()
    }

    /** The phase's result: the encoder's moments ([LatentDistribution]) of each of [LatentEncoder.images], in order. */
    class Moments(val images: List<FloatArray>)

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

    /** The files' contents (not their names), the size they are read at and the encoder's tiling. */
    override fun reuseKey(request: GenerationRequest, files: RequestFileDigests): String? {
        if (!request.initImage().isPresent) return null
        val mask = if (encoder.encodesMask(request)) files.of(request.mask().get(), "mask") else ""
        return listOf(files.of(request.initImage().get(), "init image"), mask, request.width(), request.height(),
            request.vaeTileSize()).joinToString("\u0000")
    }

    /** The encoder's graph over one image tile of the request's tiling (the whole image unless it decodes in tiles). */
    private fun encoderGraph(request: GenerationRequest, vae: Weights): (CompiledGraph.Builder) -> Tensor {
        val tiles = TiledEncoding(request, encoder.downscale)
        return encoder.encoderGraph(vae, tiles.tileWidth, tiles.tileHeight)
    }

    override fun run(run: PhaseRun): Any {
        val request = run.request
        val images = encoder.images(request, InitImage.read(request.initImage().get(), request.width(), request.height()))
        val graph = run.session.compile(GRAPH, build = encoderGraph(request, run.weights(ComponentKind.VAE)))
        val tiles = TiledEncoding(request, encoder.downscale)
        return Moments(images.map { tiles.encode(it, 2 * encoder.latentChannels, graph, IMAGE, run.session.backend, run.progress, run.cancel) })
    }

    /**
     * What denoising starts from for [run]'s request, given this phase's result [moments] (null: the request has no
     * init image): each image's latent a draw from its distribution, their normal values continuing one stream seeded
     * with the batch's first seed ([PhaseRun.batchSeed]) image after image, as stable-diffusion.cpp draws an inpainting
     * checkpoint's masked image's latent and then the init image's once per batch, before it reseeds its rng for each
     * image's noise.
     */
    fun start(run: PhaseRun, moments: Any?): Any? = (moments as Moments?)?.let { encoder.start(run.request, latents(run, it)) }

    /** The init image's latent as sampling takes it, drawn as [start] draws it. */
    fun initLatent(run: PhaseRun, moments: Any): FloatArray = latents(run, moments as Moments).last()

    private fun latents(run: PhaseRun, moments: Moments): List<FloatArray> {
        val rng = NoiseRng.of(run.request, run.batchSeed)
        return moments.images.map { m ->
            encoder.samplerLatent(LatentDistribution.sample(m, rng.randn(m.size / 2))).also { FiniteValues.require(it) { TiledEncoding.PHASE } }
        }
    }

    companion object {
        val GRAPH = GraphKey("vae encoder")

        /** The name of the encoder graph's image input. */
        const val IMAGE = "image"
        private const val ENCODER_INPUT = "encoder.conv_in.weight"
    }
}
