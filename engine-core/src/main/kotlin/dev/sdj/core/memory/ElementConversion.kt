package dev.sdj.core.memory

import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.SdCppQuantizer
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType
import java.nio.ByteBuffer
import java.nio.ByteOrder

/** Element-wise conversion of little-endian file data into the device type, chunk by chunk. */
internal sealed class ElementConversion(val sourceBytes: Int, val targetBytes: Int) {

    /** Converts all of [src] (whole elements) into [dst]; both little-endian, dst has room. */
    abstract fun convert(src: ByteBuffer, dst: ByteBuffer)

    object Bf16ToF32 : ElementConversion(2, 4) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.remaining() >= 2) dst.putInt((src.short.toInt() and 0xffff) shl 16)
        }
    }

    object F64ToF32 : ElementConversion(8, 4) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.remaining() >= 8) dst.putFloat(src.double.toFloat())
        }
    }

    /** e5m2 is the upper byte of an f16: same sign, exponent width and bias. */
    object F8E5M2ToF16 : ElementConversion(1, 2) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.hasRemaining()) dst.putShort(((src.get().toInt() and 0xff) shl 8).toShort())
        }
    }

    /** e4m3 ("fn": no infinities, 0x7f/0xff are NaN), exponent bias 7; every value is exact in f16. */
    object F8E4M3ToF16 : ElementConversion(1, 2) {
        private val table = ShortArray(256) { HalfFloat.fromFloat(e4m3(it)) }

        fun e4m3(bits: Int): Float {
            val sign = if (bits and 0x80 != 0) -1f else 1f
            val exp = (bits ushr 3) and 0xf
            val mant = bits and 0x7
            return when {
                exp == 0xf && mant == 0x7 -> Float.NaN
                exp == 0 -> sign * mant / 8f * Math.scalb(1f, -6)
                else -> sign * (1f + mant / 8f) * Math.scalb(1f, exp - 7)
            }
        }

        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.hasRemaining()) dst.putShort(table[src.get().toInt() and 0xff])
        }
    }

    object F16ToF32 : ElementConversion(2, 4) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.remaining() >= 2) dst.putFloat(HalfFloat.toFloat(src.short))
        }
    }

    object F8E4M3ToF32 : ElementConversion(1, 4) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.hasRemaining()) dst.putFloat(F8E4M3ToF16.e4m3(src.get().toInt() and 0xff))
        }
    }

    object F8E5M2ToF32 : ElementConversion(1, 4) {
        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.hasRemaining()) dst.putFloat(HalfFloat.toFloat(((src.get().toInt() and 0xff) shl 8).toShort()))
        }
    }

    /**
     * Whole blocks of a quantized type through ggml's own dequantizer, to f32 directly or to f16 through a small f32
     * scratch buffer (a block-multiple slice at a time, so no window-sized float copy is ever held).
     */
    class Dequantize(private val source: DType, private val target: GgmlType) :
        ElementConversion(source.blockBytes, source.blockSize * (if (target == GgmlType.F16) 2 else 4)) {
        private val quantization = Ggml.get().quantization()
        private val scratchBlocks = maxOf(1, SCRATCH_BYTES / (source.blockSize * 4))
        private val scratch: ByteBuffer? =
            if (target == GgmlType.F16) littleEndian(ByteBuffer.allocateDirect(scratchBlocks * source.blockSize * 4)) else null

        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            if (scratch == null) {
                quantization.dequantize(source.ggml!!, src, dst)
                return
            }
            while (src.hasRemaining()) {
                val part = src.slice(src.position(), minOf(src.remaining(), scratchBlocks * source.blockBytes))
                scratch.clear()
                quantization.dequantize(source.ggml!!, part, scratch)
                scratch.flip()
                quantization.quantize(GgmlType.F16, scratch, (scratch.remaining() / 4).toLong(), null, dst)
                src.position(src.position() + part.capacity())
            }
        }

        private companion object {
            const val SCRATCH_BYTES = 1 shl 20
        }
    }

    /**
     * f32, f16 or bf16 rows quantized by ggml while loading, as stable-diffusion.cpp's `--type` does ([SdCppQuantizer]),
     * [rowsPerPass] rows at a time through an f32 scratch buffer. Types that need a real importance matrix are not
     * asked for (see [RequestedWeightType]).
     */
    class Quantize(private val source: DType, private val target: GgmlType, private val rowLength: Long) :
        ElementConversion((rowLength * source.blockBytes).toInt(), Ggml.get().rowSize(target, rowLength).toInt()) {
        private val toF32: ElementConversion? = between(source, GgmlType.F32, rowLength)
        private val rowsPerPass = maxOf(1L, SCRATCH_BYTES / (rowLength * 4)).toInt()
        private val scratch = littleEndian(ByteBuffer.allocateDirect((rowsPerPass * rowLength * 4).toInt()))

        override fun convert(src: ByteBuffer, dst: ByteBuffer) {
            while (src.hasRemaining()) {
                val part = littleEndian(src.slice(src.position(), minOf(src.remaining(), rowsPerPass * sourceBytes)))
                scratch.clear()
                if (toF32 == null) scratch.put(part) else toF32.convert(part, scratch)
                scratch.flip()
                SdCppQuantizer.quantize(target, scratch, rowLength, dst)
                src.position(src.position() + part.capacity())
            }
        }

        private companion object {
            const val SCRATCH_BYTES = 1L shl 20
        }
    }

    companion object {
        /**
         * The conversion from [source] to [target] for rows of [rowLength] elements, or null when the bytes upload
         * as they are.
         */
        fun between(source: DType, target: GgmlType, rowLength: Long): ElementConversion? = when {
            source.ggml == target -> null
            (source == DType.F32 || source == DType.F16 || source == DType.BF16) && DType.ofGgml(target.value)?.isQuantized == true ->
                Quantize(source, target, rowLength)
            source.isQuantized && (target == GgmlType.F32 || target == GgmlType.F16) -> Dequantize(source, target)
            source == DType.BF16 && target == GgmlType.F32 -> Bf16ToF32
            source == DType.F64 && target == GgmlType.F32 -> F64ToF32
            source == DType.F8_E5M2 && target == GgmlType.F16 -> F8E5M2ToF16
            source == DType.F8_E4M3 && target == GgmlType.F16 -> F8E4M3ToF16
            source == DType.F16 && target == GgmlType.F32 -> F16ToF32
            source == DType.F8_E4M3 && target == GgmlType.F32 -> F8E4M3ToF32
            source == DType.F8_E5M2 && target == GgmlType.F32 -> F8E5M2ToF32
            else -> throw IllegalArgumentException("no conversion from $source to ${target.ggmlName()}")
        }

        fun littleEndian(b: ByteBuffer): ByteBuffer = b.order(ByteOrder.LITTLE_ENDIAN)
    }
}
