package dev.sdj.core.family.ltx2

import dev.sdj.api.CancellationToken
import dev.sdj.api.GenerationCancelledException
import dev.sdj.api.ProgressListener
import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.FiniteValues
import dev.sdj.core.graph.GraphSession
import dev.sdj.core.graph.Weights

/**
 * Decoded video: [count] frames of [width]×[height] pixels, [rgb] holding frame by frame, row by row, pixel by pixel
 * red, green and blue (ggml order [3, W, H, F]; C order [F][H][W][3]), in about [-1, 1] (unclamped).
 */
class Ltx2Frames(val width: Int, val height: Int, val count: Int, val rgb: FloatArray) {
    init {
        require(rgb.size.toLong() == 3L * width * height * count) { "${rgb.size} values are not $count frames of ${width}x$height" }
    }
}

/**
 * Runs [vae] over a latent in the tiles of [tiling] (host side): the spatial tiles of each temporal tile in turn,
 * each tile's contexts handed to the same spatial tile of the next temporal tile, overlaps cross-faded, frames
 * appended as each temporal tile completes. "decoding" progress per tile, cancellation checked before each, every
 * tile's output checked for non-finite values. One graph is compiled per tile shape (at most three: the first tile,
 * the middle ones, the last) in the caller's [GraphSession], which frees them with its backend (lavapipe corrupts its
 * heap when graphs are freed one after another under a live backend); the planner measures each ([Ltx2VaeTileShape.key]).
 */
class Ltx2VideoDecoding(private val vae: Ltx2VideoVae, private val weights: Weights, private val tiling: Ltx2VaeTiling) {

    /**
     * @param latent the sampler's latent [W, H, F', 128] in ggml order (width fastest), as the DiT's patchify reads it
     * @param session compiles the tiles' graphs, runs them on its backend and frees them when it closes
     */
    fun decode(latent: FloatArray, width: Int, height: Int, frames: Int, session: GraphSession, progress: ProgressListener = ProgressListener.NONE,
               cancel: CancellationToken = CancellationToken()): Ltx2Frames {
        val channels = Ltx2VideoVae.LATENT_CHANNELS.toInt()
        require(latent.size.toLong() == width.toLong() * height * frames * channels) {
            "a latent of ${latent.size} values is not ${width}x${height}x${frames}x$channels"
        }
        val d = vae.dimensions
        val scale = d.spaceScale
        val outW = width * scale
        val outH = height * scale
        val xs = tiling.spatial(width)
        val ys = tiling.spatial(height)
        val tileW = xs.extent(width)
        val tileH = ys.extent(height)
        val origins = ys.origins(height).flatMap { oy -> xs.origins(width).map { ox -> ox to oy } }
        val spans = tiling.spans(frames)
        val total = spans.size * origins.size
        val contexts = arrayOfNulls<List<FloatArray>>(origins.size)
        val out = FloatArray(3 * outW * outH * d.frames(frames))
        var written = 0
        var done = 0
        val compiled = HashMap<Ltx2VaeTileShape, Pair<CompiledGraph, List<Long>>>()
        progress.onProgress(PHASE, 0, total)
        spans.forEachIndexed { k, span ->
            val shape = Ltx2VaeTileShape(tileW.toLong(), tileH.toLong(), span.frames, k == 0, span.trailing, k < spans.size - 1)
            val count = shape.outputFrames(d.timeScale)
            val sum = FloatArray(3 * outW * outH * count)
            val weightSum = FloatArray(outW * outH)
            val (graph, contextSizes) = compiled.getOrPut(shape) {
                var sizes: List<Long> = emptyList()
                session.compile(shape.key, build = vae.tileGraph(weights, shape) { sizes = it }) to sizes
            }
            origins.forEachIndexed { s, (ox, oy) ->
                if (cancel.isCancelled) throw GenerationCancelledException(done, total)
                graph.input(Ltx2VideoVae.INPUT).setFloats(slice(latent, width, height, frames, ox, oy, tileW, tileH, span))
                if (d.conditioned) graph.input(Ltx2VideoVae.TIMESTEP).setFloats(floatArrayOf(Ltx2VideoVae.DECODE_TIMESTEP))
                contexts[s]?.forEachIndexed { i, c -> graph.input("${Ltx2VaeTime.CONTEXT}$i").setFloats(c) }
                val result = graph.run(session.backend)
                FiniteValues.require(result) { PHASE }
                val pixels = tileW * scale * tileH * scale
                if (shape.carries) contexts[s] = split(result, 3 * pixels * count, contextSizes)
                blend(result, sum, weightSum, pixels, count, ox * scale, oy * scale, tileW * scale, tileH * scale, outW, outH,
                    xs.overlap * scale, ys.overlap * scale, ox + tileW < width, oy + tileH < height)
                progress.onProgress(PHASE, ++done, total)
            }
            written = append(sum, weightSum, count, outW, outH, out, written)
        }
        return Ltx2Frames(outW, outH, d.frames(frames), out)
    }

    /** The latent cells [ox, ox + tw) × [oy, oy + th) × the span's frames × every channel, in ggml order. */
    private fun slice(latent: FloatArray, w: Int, h: Int, f: Int, ox: Int, oy: Int, tw: Int, th: Int, span: Ltx2VaeTiling.Span): FloatArray {
        val channels = Ltx2VideoVae.LATENT_CHANNELS.toInt()
        val part = FloatArray(tw * th * span.frames * channels)
        var at = 0
        for (c in 0 until channels) for (t in span.start until span.end) for (y in 0 until th) {
            System.arraycopy(latent, ((c * f + t) * h + oy + y) * w + ox, part, at, tw)
            at += tw
        }
        return part
    }

    private fun split(result: FloatArray, from: Int, sizes: List<Long>): List<FloatArray> {
        var at = from
        return sizes.map { n -> result.copyOfRange(at, at + n.toInt()).also { at += n.toInt() } }
    }

    /** Adds one tile's frames [pw, ph, count, 3] (planar) into [sum] [count][outH][outW][3] with cross-fade weights. */
    private fun blend(tile: FloatArray, sum: FloatArray, weightSum: FloatArray, pixels: Int, count: Int, px: Int, py: Int, pw: Int, ph: Int,
                      outW: Int, outH: Int, fadeX: Int, fadeY: Int, fadeOutX: Boolean, fadeOutY: Boolean) {
        val wx = ramp(pw, px > 0, fadeOutX, fadeX)
        val wy = ramp(ph, py > 0, fadeOutY, fadeY)
        for (y in 0 until ph) for (x in 0 until pw) {
            val weight = wx[x] * wy[y]
            val at = (py + y) * outW + px + x
            weightSum[at] += weight
            for (t in 0 until count) for (c in 0 until 3) {
                sum[3 * (t * outW * outH + at) + c] += weight * tile[c * pixels * count + t * pixels + y * pw + x]
            }
        }
    }

    /** Weights along one side of a tile: rising over [fade] pixels from an edge shared with a neighbour, else 1. */
    private fun ramp(n: Int, fadeIn: Boolean, fadeOut: Boolean, fade: Int): FloatArray = FloatArray(n) { i ->
        val up = if (fadeIn && fade > 0) minOf(1f, (i + 1f) / (fade + 1f)) else 1f
        val down = if (fadeOut && fade > 0) minOf(1f, (n - i).toFloat() / (fade + 1f)) else 1f
        minOf(up, down)
    }

    private fun append(sum: FloatArray, weightSum: FloatArray, count: Int, outW: Int, outH: Int, out: FloatArray, from: Int): Int {
        for (t in 0 until count) for (p in 0 until outW * outH) for (c in 0 until 3) {
            val i = 3 * (t * outW * outH + p) + c
            out[from + i] = sum[i] / weightSum[p]
        }
        return from + 3 * outW * outH * count
    }

    companion object {
        const val PHASE = "decoding"
    }
}
