package dev.sdj.core.family.ltx2

import dev.sdj.core.graph.CompiledGraph
import dev.sdj.core.graph.GraphKey
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Tensor

/**
 * Which latent frames one decoder graph covers, and so how its convolutions pad time. LTX-2's decoder is not causal:
 * each 3-frame convolution sees one frame before and one after, replicating the first and last frame at the ends.
 * A temporal tile (sd.cpp's streaming decode) starts where the tile before kept its last frame: instead of the
 * replicated first frame, each convolution reads the frame the same convolution saw there last (a "context" input),
 * and the tile's last [trailing] latent frames are decoded only as right-hand context for the frames before them, then
 * cut off; the next tile decodes them again.
 *
 * @param width latent cells across
 * @param height latent cells down
 * @param frames latent frames the graph reads
 * @param first the tile starts the video: its convolutions replicate the first frame, and each temporal ×2 drops the
 *   first frame it makes, as the whole decode does; a later tile reads context inputs and drops nothing
 * @param trailing latent frames at the end decoded only as context for the ones before
 * @param carries the graph also outputs, after the frames, the frame each convolution must pass to the next tile
 */
data class Ltx2VaeTileShape(val width: Long, val height: Long, val frames: Int, val first: Boolean = true, val trailing: Int = 0,
                            val carries: Boolean = false) {
    init {
        require(width >= 2 && height >= 2) { "LTX-2's decoder reflects its borders and needs at least 2×2 latent cells, not ${width}×$height" }
        require(frames >= 1 && trailing in 0 until frames) { "a tile of $frames latent frames cannot end in $trailing context frames" }
    }

    /** The name the graph of this shape is compiled and measured under. */
    val key: GraphKey get() = GraphKey("ltx2 video decoder ${width}x${height}x$frames" + (if (first) " first" else "") +
        (if (trailing > 0) " trailing $trailing" else "") + (if (carries) " carrying" else ""))

    /** The frames the graph outputs: every latent frame's less the trailing ones', and the first latent frame's one. */
    fun outputFrames(timeScale: Int): Int = (frames - trailing) * timeScale - (if (first) timeScale - 1 else 0)
}

/** [Ltx2VaeTileShape]'s temporal padding while one graph is built: context inputs taken, contexts saved. */
internal class Ltx2VaeTime(private val g: CompiledGraph.Builder, private val shape: Ltx2VaeTileShape) {
    /** Latent frames at the end decoded as context only, in the current level's frames. */
    var trailing: Int = shape.trailing
        private set

    /** Whether a temporal ×2 drops the first frame it makes. */
    val dropsFirst: Boolean get() = shape.first

    private val saved = ArrayList<Tensor>()
    private var convolutions = 0

    /** Elements of each saved context, in the order of the convolutions (the next tile's [CONTEXT] inputs). */
    val contextSizes: List<Long> get() = saved.map { it.elementCount() }

    /** x [W, H, T, C] with one frame before and after: context or replicated first frame, replicated last frame. */
    fun pad(ctx: GgmlContext, x: Tensor): Tensor {
        val i = convolutions++
        val t = x.ne(2)
        val before = if (shape.first) frame(ctx, x, 0)
        else g.input("$CONTEXT$i", GgmlType.F32, x.ne(0), x.ne(1), 1, x.ne(3))
        if (shape.carries) {
            require(t - trailing >= 1) { "a tile keeps no frame at a level of $t frames with $trailing trailing" }
            saved += frame(ctx, x, t - trailing - 1)
        }
        return ctx.concat(ctx.concat(before, x, 2), frame(ctx, x, t - 1), 2)
    }

    /** A temporal ×[factor] upsampling multiplies the trailing frames. */
    fun upsampled(factor: Int) {
        trailing *= factor
    }

    /**
     * The graph's output: the frames [W, H, T, C] less the trailing ones, flattened, then (when the tile carries) each
     * saved context flattened, in order. Each part is copied into its place in one tensor as soon as it is computed
     * ([CompiledGraph.Builder.alsoCompute]), so no part is copied twice.
     */
    fun output(ctx: GgmlContext, video: Tensor): Tensor {
        val nb = video.strides()
        val frames = if (trailing == 0) video
        else ctx.view4d(video, video.ne(0), video.ne(1), video.ne(2) - trailing, video.ne(3), nb[1], nb[2], nb[3], 0)
        val parts = listOf(frames) + (if (shape.carries) saved else emptyList())
        val out = ctx.newTensor(GgmlType.F32, parts.sumOf { it.elementCount() }).name("ltx2_vae_tile")
        var at = 0L
        for (part in parts) {
            g.alsoCompute(ctx.copy(part, ctx.view1d(out, part.elementCount(), at * 4)))
            at += part.elementCount()
        }
        return ctx.view1d(out, at, 0)
    }

    private fun frame(ctx: GgmlContext, x: Tensor, t: Long): Tensor {
        val nb = x.strides()
        return ctx.view4d(x, x.ne(0), x.ne(1), 1, x.ne(3), nb[1], nb[2], nb[3], t * nb[2])
    }

    companion object {
        /** Prefix of the context inputs: `context.0`, `context.1`, … in the order of the decoder's convolutions. */
        const val CONTEXT = "context."
    }
}
