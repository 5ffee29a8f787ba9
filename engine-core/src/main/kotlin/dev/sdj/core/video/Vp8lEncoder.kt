package dev.sdj.core.video

import dev.sdj.core.image.RgbImage

/**
 * Encodes an RGB image as a lossless WebP bitstream (VP8L, RFC 9649), a deliberately simple one: the subtract-green
 * transform, then one predictor for the whole image (the gradient L + T - TL, clamped), then every residual as a
 * literal under one set of prefix codes. No backward references or colour cache, so files are larger than libwebp's
 * lossless output, but every pixel decodes exactly.
 */
internal object Vp8lEncoder {
    private const val SIGNATURE = 0x2F
    private const val MAX_SIZE = 1 shl 14
    private const val PREDICTOR_TRANSFORM = 0
    private const val SUBTRACT_GREEN_TRANSFORM = 2
    private const val GRADIENT_PREDICTOR = 12

    /** log2 of the predictor blocks, less 2, as the stream stores it: the largest, 512x512, since one mode serves all. */
    private const val BLOCK_BITS_CODE = 7
    private const val BLOCK_SIZE = 1 shl (BLOCK_BITS_CODE + 2)

    private const val LITERALS = 256
    private const val LENGTH_PREFIXES = 24
    private const val DISTANCE_PREFIXES = 40
    private const val MAX_CODE_LENGTH = 15
    private const val MAX_CODE_LENGTH_CODE_LENGTH = 7

    /** The order in which the code-length code's own lengths are stored. */
    private val CODE_LENGTH_ORDER = intArrayOf(17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    fun encode(image: RgbImage): ByteArray {
        require(image.width <= MAX_SIZE && image.height <= MAX_SIZE) {
            "lossless WebP frames are at most ${MAX_SIZE}x$MAX_SIZE, got ${image.width}x${image.height}"
        }
        val bits = LsbBitWriter(image.pixels.size / 2 + 64)
        bits.write(SIGNATURE, 8)
        bits.write(image.width - 1, 14)
        bits.write(image.height - 1, 14)
        bits.write(0, 1) // alpha unused: every pixel is opaque
        bits.write(0, 3) // version

        bits.write(1, 1)
        bits.write(SUBTRACT_GREEN_TRANSFORM, 2)
        bits.write(1, 1)
        bits.write(PREDICTOR_TRANSFORM, 2)
        bits.write(BLOCK_BITS_CODE, 3)
        val blocksWide = (image.width + BLOCK_SIZE - 1) / BLOCK_SIZE
        val blocksHigh = (image.height + BLOCK_SIZE - 1) / BLOCK_SIZE
        writeImage(bits, IntArray(blocksWide * blocksHigh) { GRADIENT_PREDICTOR shl 8 }, mainImage = false)
        bits.write(0, 1) // no more transforms

        writeImage(bits, residuals(image), mainImage = true)
        return bits.toByteArray()
    }

    /** ARGB residuals of the gradient predictor over the green-subtracted image, with the format's edge rules. */
    private fun residuals(image: RgbImage): IntArray {
        val w = image.width
        val h = image.height
        val argb = IntArray(w * h)
        val p = image.pixels
        for (i in argb.indices) {
            val r = p[i * 3].toInt() and 0xFF
            val g = p[i * 3 + 1].toInt() and 0xFF
            val b = p[i * 3 + 2].toInt() and 0xFF
            argb[i] = (0xFF shl 24) or (((r - g) and 0xFF) shl 16) or (g shl 8) or ((b - g) and 0xFF)
        }
        val out = IntArray(w * h)
        for (y in 0 until h) for (x in 0 until w) {
            val i = y * w + x
            val prediction = when {
                y == 0 && x == 0 -> 0xFF000000.toInt()
                y == 0 -> argb[i - 1]
                x == 0 -> argb[i - w]
                else -> clampedGradient(argb[i - 1], argb[i - w], argb[i - w - 1])
            }
            out[i] = subtractPerChannel(argb[i], prediction)
        }
        return out
    }

    private fun clampedGradient(left: Int, top: Int, topLeft: Int): Int {
        var out = 0
        for (shift in 0 until 32 step 8) {
            val v = ((left ushr shift) and 0xFF) + ((top ushr shift) and 0xFF) - ((topLeft ushr shift) and 0xFF)
            out = out or (v.coerceIn(0, 255) shl shift)
        }
        return out
    }

    private fun subtractPerChannel(a: Int, b: Int): Int {
        var out = 0
        for (shift in 0 until 32 step 8) out = out or (((((a ushr shift) and 0xFF) - ((b ushr shift) and 0xFF)) and 0xFF) shl shift)
        return out
    }

    /** An entropy-coded ARGB image: no colour cache, one prefix code group, every pixel four literals. */
    private fun writeImage(bits: LsbBitWriter, argb: IntArray, mainImage: Boolean) {
        bits.write(0, 1) // no colour cache
        if (mainImage) bits.write(0, 1) // no meta prefix codes: one group for the whole image
        val green = IntArray(LITERALS + LENGTH_PREFIXES)
        val red = IntArray(LITERALS)
        val blue = IntArray(LITERALS)
        val alpha = IntArray(LITERALS)
        for (v in argb) {
            green[(v ushr 8) and 0xFF]++
            red[(v ushr 16) and 0xFF]++
            blue[v and 0xFF]++
            alpha[v ushr 24]++
        }
        val distance = IntArray(DISTANCE_PREFIXES).also { it[0] = 1 } // unused; any single symbol
        val codes = listOf(green, red, blue, alpha, distance).map { writeCode(bits, it) }
        val (g, r, b, a) = codes
        for (v in argb) {
            g?.write(bits, (v ushr 8) and 0xFF)
            r?.write(bits, (v ushr 16) and 0xFF)
            b?.write(bits, v and 0xFF)
            a?.write(bits, v ushr 24)
        }
    }

    /**
     * Writes the code for [counts] and returns it, or null when one symbol is used: that is stored as a "simple" code,
     * whose symbol then takes no bits at all.
     */
    private fun writeCode(bits: LsbBitWriter, counts: IntArray): PrefixCode? {
        val used = counts.indices.filter { counts[it] > 0 }
        if (used.size == 1) {
            val symbol = used[0]
            check(symbol < LITERALS) { "a simple code holds 8-bit symbols, not $symbol" }
            bits.write(1, 1) // simple code
            bits.write(0, 1) // one symbol
            if (symbol < 2) {
                bits.write(0, 1)
                bits.write(symbol, 1)
            } else {
                bits.write(1, 1)
                bits.write(symbol, 8)
            }
            return null
        }
        val code = PrefixCode.build(counts, MAX_CODE_LENGTH)
        bits.write(0, 1) // normal code
        val lengthCounts = IntArray(CODE_LENGTH_ORDER.size)
        for (l in code.lengths) lengthCounts[l]++
        // A code-length code needs two symbols; a second, unused one costs nothing but a length.
        if (lengthCounts.count { it > 0 } == 1) lengthCounts[if (lengthCounts[0] == 0) 0 else 1]++
        val lengthCode = PrefixCode.build(lengthCounts, MAX_CODE_LENGTH_CODE_LENGTH)
        var stored = CODE_LENGTH_ORDER.size
        while (stored > 4 && lengthCode.lengths[CODE_LENGTH_ORDER[stored - 1]] == 0) stored--
        bits.write(stored - 4, 4)
        for (i in 0 until stored) bits.write(lengthCode.lengths[CODE_LENGTH_ORDER[i]], 3)
        bits.write(0, 1) // lengths follow for the whole alphabet
        for (l in code.lengths) lengthCode.write(bits, l)
        return code
    }
}
