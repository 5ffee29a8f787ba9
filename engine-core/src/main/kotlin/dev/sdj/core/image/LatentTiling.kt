package dev.sdj.core.image

/**
 * Decodes a latent in overlapping tiles, so a decoder's compute buffer is that of one tile instead of the whole
 * image, and cross-fades the overlaps with linear weights. A tile as large as the latent decodes it whole, exactly.
 * Tiles are not equivalent to a whole decode: each tile's normalisation and attention see only the tile.
 *
 * Layouts are ggml's: latent [W, H, C], image [W·scale, H·scale, outChannels], x fastest.
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
               decodeTile: (FloatArray) -> FloatArray): FloatArray {
        require(latent.size == w * h * channels) { "latent of ${latent.size} values is not ${w}x${h}x$channels" }
        val tw = extent(w)
        val th = extent(h)
        val outW = w * scale
        val outH = h * scale
        val sum = FloatArray(outW * outH * outChannels)
        val weightSum = FloatArray(outW * outH)
        val part = FloatArray(tw * th * channels)
        for (oy in origins(h)) for (ox in origins(w)) {
            for (c in 0 until channels) for (y in 0 until th) {
                System.arraycopy(latent, c * w * h + (oy + y) * w + ox, part, c * tw * th + y * tw, tw)
            }
            val image = decodeTile(part)
            val pw = tw * scale
            val ph = th * scale
            require(image.size == pw * ph * outChannels) { "a decoded tile has ${image.size} values, not ${pw}x${ph}x$outChannels" }
            val wx = ramp(pw, ox > 0, ox + tw < w, overlap * scale)
            val wy = ramp(ph, oy > 0, oy + th < h, overlap * scale)
            for (y in 0 until ph) for (x in 0 until pw) {
                val weight = wx[x] * wy[y]
                val at = (oy * scale + y) * outW + ox * scale + x
                weightSum[at] += weight
                for (c in 0 until outChannels) sum[c * outW * outH + at] += weight * image[c * pw * ph + y * pw + x]
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
    }
}
