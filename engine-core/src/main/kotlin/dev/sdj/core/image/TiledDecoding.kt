package dev.sdj.core.image

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.GenerationRequest
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.ggml.Backend

/**
 * A VAE decoder run over a latent as a request asks: whole, or in the tiles of [tiling] with "decoding" progress per
 * tile, cancellation checked before each, and every tile's output checked for non-finite values.
 */
class TiledDecoding(private val request: GenerationRequest, private val downscale: Int) {
    /** The request's tiling: its tile size, or one tile covering the whole latent. */
    val tiling: LatentTiling =
        if (request.vaeTileSize() > 0) LatentTiling.ofPixels(request.vaeTileSize(), downscale)
        else LatentTiling(maxOf(request.width(), request.height()) / downscale, 0)

    val latentWidth: Int get() = request.width() / downscale
    val latentHeight: Int get() = request.height() / downscale

    /** A tile's latent extent: the graph's input width and height. */
    val tileWidth: Long get() = tiling.extent(latentWidth).toLong()
    val tileHeight: Long get() = tiling.extent(latentHeight).toLong()

    /**
     * The image [downscale·w, downscale·h, 3] from the decoder-ready latent [z] ([channels] planes), running [decoder]
     * with each tile set as its input [input].
     */
    fun decode(z: FloatArray, channels: Int, decoder: CompiledGraph, input: String, backend: Backend, progress: ProgressListener,
               cancel: CancellationToken): FloatArray {
        val tiles = tiling.origins(latentWidth).size * tiling.origins(latentHeight).size
        var done = 0
        progress.onProgress(PHASE, 0, tiles)
        return tiling.decode(z, latentWidth, latentHeight, channels, downscale, 3) { part ->
            if (cancel.isCancelled) throw GenerationCancelledException(request.steps(), request.steps())
            decoder.input(input).setFloats(part)
            decoder.run(backend).also {
                FiniteValues.require(it) { PHASE }
                progress.onProgress(PHASE, ++done, tiles)
            }
        }
    }

    private companion object {
        const val PHASE = "decoding"
    }
}
