package dev.sdj.core.model

/** IEEE 754 binary16 conversions, rounding to nearest even. */
object HalfFloat {
    fun fromFloat(f: Float): Short {
        val bits = java.lang.Float.floatToRawIntBits(f)
        val sign = (bits ushr 16) and 0x8000
        val exp = (bits ushr 23) and 0xff
        var mant = bits and 0x7fffff
        if (exp == 0xff) return (sign or 0x7c00 or (if (mant != 0) 0x200 else 0)).toShort()
        val e = exp - 127 + 15
        if (e >= 31) return (sign or 0x7c00).toShort()
        if (e <= 0) {
            if (e < -10) return sign.toShort()
            mant = mant or 0x800000
            val shift = 14 - e
            var half = mant ushr shift
            val rem = mant and ((1 shl shift) - 1)
            val mid = 1 shl (shift - 1)
            if (rem > mid || (rem == mid && (half and 1) == 1)) half++
            return (sign or half).toShort()
        }
        var half = (e shl 10) or (mant ushr 13)
        val rem = mant and 0x1fff
        if (rem > 0x1000 || (rem == 0x1000 && (half and 1) == 1)) half++
        return (sign or half).toShort()
    }

    fun toFloat(h: Short): Float {
        val v = h.toInt() and 0xffff
        val sign = if (v and 0x8000 != 0) -1f else 1f
        val exp = (v ushr 10) and 0x1f
        val mant = v and 0x3ff
        return when (exp) {
            0 -> sign * mant * Math.scalb(1f, -24)
            31 -> if (mant == 0) sign * Float.POSITIVE_INFINITY else Float.NaN
            else -> sign * (1f + mant / 1024f) * Math.scalb(1f, exp - 15)
        }
    }
}
