package dev.sdj.core.image

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.ggml.Backend

/**
 * A VAE encoder run over an init image as a request asks: whole, or — when the request decodes in tiles — in the
 * encoder's tiles ([LatentTiling.forEncoder]), with "image encoding" progress per tile, cancellation checked before
 * each, and every tile's output checked for non-finite values.
 */
class TiledEncoding(private val request: GenerationRequest, private val downscale: Int) {
    /** The request's tiling in latent cells: the encoder's tiles for its decoder tile size, or one tile covering the whole latent. */
    val tiling: LatentTiling =
        if (request.vaeTileSize() > 0) LatentTiling.forEncoder(request.vaeTileSize(), downscale)
        else LatentTiling(maxOf(request.width(), request.height()) / downscale, 0)

    private val latentWidth: Int get() = request.width() / downscale
    private val latentHeight: Int get() = request.height() / downscale

    /** A tile's extent in image pixels: the graph's input width and height. */
    val tileWidth: Long get() = tiling.extent(latentWidth).toLong() * downscale
    val tileHeight: Long get() = tiling.extent(latentHeight).toLong() * downscale

    /**
     * The encoder's output [w/downscale, h/downscale, channels] over [image] ([W, H, 3], values in [-1, 1]), running
     * [encoder] with each tile set as its input [input].
     */
    fun encode(image: FloatArray, channels: Int, encoder: CompiledGraph, input: String, backend: Backend, progress: ProgressListener,
               cancel: CancellationToken): FloatArray {
        val tiles = tiling.origins(latentWidth).size * tiling.origins(latentHeight).size
        var done = 0
        progress.onProgress(PHASE, 0, tiles)
        return tiling.encode(image, latentWidth, latentHeight, 3, downscale, channels) { part ->
            if (cancel.isCancelled) throw GenerationCancelledException(0, request.steps())
            encoder.input(input).setFloats(part)
            encoder.run(backend).also {
                FiniteValues.require(it) { PHASE }
                progress.onProgress(PHASE, ++done, tiles)
            }
        }
    }

    companion object {
        /** The phase label the progress is reported under. */
        const val PHASE = "image encoding"
    }
}
