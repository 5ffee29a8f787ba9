package dev.sdj.core.image

/**
 * Decodes a latent, or encodes an image, in overlapping tiles, so a VAE's compute buffer is that of one tile instead
 * of the whole image, and cross-fades the overlaps with linear weights. A tile as large as the latent runs it whole,
 * exactly.
 * Tiles are not equivalent to a whole pass: each tile's normalisation and attention see only the tile.
 *
 * Layouts are ggml's: latent [W, H, C], image [W·scale, H·scale, C'], x fastest.
 *
 * @param tile    tile side in latent pixels
 * @param overlap latent pixels shared by neighbouring tiles
 */
class LatentTiling(val tile: Int, val overlap: Int) {
    init {
        require(tile > 0 && overlap in 0 until tile) { "tile $tile with overlap $overlap" }
    }

    /** Tile origins along an axis of [size] latent pixels: every tile − overlap, the last flush with the end. */
    fun origins(size: Int): List<Int> {
        if (size <= tile) return listOf(0)
        val stride = tile - overlap
        return ((0 until size - tile step stride).toList() + (size - tile)).distinct()
    }

    /** The tile's side along an axis of [size]: the tile, or the whole axis when it is smaller. */
    fun extent(size: Int): Int = minOf(tile, size)

    /**
     * @param decodeTile decodes one latent tile [extent(W), extent(H), C] into [extent(W)·scale, extent(H)·scale, outChannels]
     */
    fun decode(latent: FloatArray, w: Int, h: Int, channels: Int, scale: Int, outChannels: Int,
               decodeTile: (FloatArray) -> FloatArray): FloatArray =
        tiled(latent, w, h, channels, 1, scale, outChannels, decodeTile)

    /**
     * The encoder's output over an image of [w]·[scale] × [h]·[scale] pixels ([channels] planes), tile by tile: the
     * tiles are laid out in latent cells as for decoding, each reads its [scale]× larger patch of the image, and the
     * overlaps are cross-faded in the latent, where the tiles meet.
     *
     * @param encodeTile encodes one image tile [extent(W)·scale, extent(H)·scale, channels] into [extent(W), extent(H), outChannels]
     */
    fun encode(image: FloatArray, w: Int, h: Int, channels: Int, scale: Int, outChannels: Int,
               encodeTile: (FloatArray) -> FloatArray): FloatArray =
        tiled(image, w, h, channels, scale, 1, outChannels, encodeTile)

    /** Runs [run] over every tile: its input [inScale] and its output [outScale] times the tile's latent extent on each axis. */
    private fun tiled(input: FloatArray, w: Int, h: Int, channels: Int, inScale: Int, outScale: Int, outChannels: Int,
                      run: (FloatArray) -> FloatArray): FloatArray {
        val inW = w * inScale
        val inH = h * inScale
        require(input.size == inW * inH * channels) { "input of ${input.size} values is not ${inW}x${inH}x$channels" }
        val tw = extent(w)
        val th = extent(h)
        val iw = tw * inScale
        val ih = th * inScale
        val outW = w * outScale
        val outH = h * outScale
        val sum = FloatArray(outW * outH * outChannels)
        val weightSum = FloatArray(outW * outH)
        val part = FloatArray(iw * ih * channels)
        for (oy in origins(h)) for (ox in origins(w)) {
            for (c in 0 until channels) for (y in 0 until ih) {
                System.arraycopy(input, c * inW * inH + (oy * inScale + y) * inW + ox * inScale, part, c * iw * ih + y * iw, iw)
            }
            val out = run(part)
            val pw = tw * outScale
            val ph = th * outScale
            require(out.size == pw * ph * outChannels) { "a tile's output has ${out.size} values, not ${pw}x${ph}x$outChannels" }
            val wx = ramp(pw, ox > 0, ox + tw < w, overlap * outScale)
            val wy = ramp(ph, oy > 0, oy + th < h, overlap * outScale)
            for (y in 0 until ph) for (x in 0 until pw) {
                val weight = wx[x] * wy[y]
                val at = (oy * outScale + y) * outW + ox * outScale + x
                weightSum[at] += weight
                for (c in 0 until outChannels) sum[c * outW * outH + at] += weight * out[c * pw * ph + y * pw + x]
            }
        }
        for (c in 0 until outChannels) for (i in weightSum.indices) sum[c * outW * outH + i] /= weightSum[i]
        return sum
    }

    /** Weights along one side of a tile: rising over [fade] pixels from an edge shared with a neighbour, else 1. */
    private fun ramp(n: Int, fadeIn: Boolean, fadeOut: Boolean, fade: Int): FloatArray = FloatArray(n) { i ->
        val up = if (fadeIn && fade > 0) minOf(1f, (i + 1f) / (fade + 1f)) else 1f
        val down = if (fadeOut && fade > 0) minOf(1f, (n - i).toFloat() / (fade + 1f)) else 1f
        minOf(up, down)
    }

    companion object {
        /** Tiles of [pixels] image pixels for a decoder that upsamples by [scale], overlapping by a quarter tile. */
        fun ofPixels(pixels: Int, scale: Int): LatentTiling {
            val tile = pixels / scale
            return LatentTiling(tile, tile / 4)
        }

        /**
         * The encoder's tiles for a request decoding in tiles of [pixels] pixels: [ofPixels]' latent tile times
         * [ENCODER_TILE_FACTOR] (rounded down, as stable-diffusion.cpp sizes its encoder tiles: the encoder holds
         * fewer activations per pixel than the decoder, so a larger tile costs about the decoder tile's compute
         * buffer), overlapping by a quarter tile as the decoder's do.
         */
        fun forEncoder(pixels: Int, scale: Int): LatentTiling {
            val tile = (ofPixels(pixels, scale).tile * ENCODER_TILE_FACTOR).toInt()
            return LatentTiling(tile, tile / 4)
        }

        /** stable-diffusion.cpp's encoder tile size per decoder tile size (its `vae_encode`). */
        const val ENCODER_TILE_FACTOR = 1.30539f
    }
}
