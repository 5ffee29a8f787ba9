package dev.sdj.core.family.ltx2

import dev.sdj.core.image.LatentTiling

/**
 * How LTX-2's video decoder splits a latent so that one graph's compute buffer is that of a tile.
 *
 * In time as sd.cpp's streaming decode does (its `temporal_tile_frames`/`temporal_tile_overlap`, defaults 4 and 1):
 * tiles of [frames] latent frames, each starting [overlap] frames before the tile before it ended; every convolution
 * passes the frame it last saw on to the same convolution of the next tile, and a tile's [overlap] last latent frames
 * are decoded only as right-hand context and cut off. A tile therefore equals the whole decode wherever the frames it
 * keeps are farther from its end than the decoder's reach (about 14 latent frames for LTX-2.3's; one convolution looks
 * one frame ahead); nearer, only the frames after the tile are missing, replaced by the replicated last frame.
 *
 * In space as the image decoders' tiling does ([LatentTiling]): tiles of [tile] latent cells overlapping by
 * [tileOverlap], cross-faded linearly; each spatial tile carries its own temporal context.
 *
 * @param frames latent frames per temporal tile; 0 decodes all frames in one graph
 * @param tile latent cells per spatial tile side; 0 decodes the whole frame in one graph
 */
data class Ltx2VaeTiling(val frames: Int = 0, val overlap: Int = 0, val tile: Int = 0, val tileOverlap: Int = 0) {
    init {
        require(frames >= 0 && (frames == 0 && overlap == 0 || overlap in 0 until frames)) {
            "temporal tiles of $frames latent frames cannot overlap by $overlap"
        }
        require(tile == 0 && tileOverlap == 0 || tile >= 2 && tileOverlap in 0 until tile) {
            "spatial tiles of $tile latent cells cannot overlap by $tileOverlap (tiles need at least 2 cells)"
        }
    }

    /** One temporal tile: latent frames [start, end), the last [trailing] of them decoded as context only. */
    data class Span(val start: Int, val end: Int, val trailing: Int) {
        val frames: Int get() = end - start
    }

    /** The temporal tiles over [latentFrames] frames (sd.cpp: an overlap as long as the video shrinks to one less). */
    fun spans(latentFrames: Int): List<Span> {
        require(latentFrames >= 1) { "a latent has at least one frame" }
        if (frames == 0 || latentFrames <= 1) return listOf(Span(0, latentFrames, 0))
        val o = minOf(overlap, latentFrames - 1)
        val stride = frames - o
        return (0 until latentFrames - o step stride).map { s ->
            val end = minOf(latentFrames, s + frames)
            Span(s, end, if (end < latentFrames) o else 0)
        }
    }

    /** The spatial tiling of an axis of [size] latent cells: one tile of the whole axis, or [tile]-cell tiles. */
    fun spatial(size: Int): LatentTiling = if (tile == 0 || size <= tile) LatentTiling(size, 0) else LatentTiling(tile, tileOverlap)

    /** The shapes of the graphs a decode of [width]×[height]×[latentFrames] latent cells runs (the planner measures each). */
    fun shapes(width: Int, height: Int, latentFrames: Int): Set<Ltx2VaeTileShape> {
        val spans = spans(latentFrames)
        val tw = spatial(width).extent(width).toLong()
        val th = spatial(height).extent(height).toLong()
        return spans.mapIndexed { i, s -> Ltx2VaeTileShape(tw, th, s.frames, i == 0, s.trailing, i < spans.size - 1) }.toSet()
    }

    companion object {
        /** sd.cpp's temporal tiling when it is on: 4 latent frames overlapping by 1, no spatial tiles. */
        val SD_CPP_TEMPORAL = Ltx2VaeTiling(frames = 4, overlap = 1)
    }
}
