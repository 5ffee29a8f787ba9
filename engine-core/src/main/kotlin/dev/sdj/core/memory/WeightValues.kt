package dev.sdj.core.memory

import dev.sdj.core.model.DType
import dev.sdj.core.model.HalfFloat
import dev.sdj.core.model.SdCppQuantizer
import dev.sdj.ggml.GgmlType
import java.nio.ByteBuffer

/**
 * A device tensor's bytes as f32 values and back, for changing weights on the host: f16 and bf16 round to nearest
 * even as ggml's own conversions do, quantized types go through ggml's dequantizer and quantizer (so a patched
 * quantized weight is dequantized, changed and quantized again, as stable-diffusion.cpp merges a LoRA into one).
 */
internal object WeightValues {

    fun decode(type: GgmlType, bytes: ByteBuffer, rowLength: Long): FloatArray {
        val src = ElementConversion.littleEndian(bytes.duplicate())
        return when (type) {
            GgmlType.F32 -> FloatArray(src.remaining() / 4).also { src.asFloatBuffer().get(it) }
            GgmlType.F16 -> FloatArray(src.remaining() / 2) { HalfFloat.toFloat(src.getShort(src.position() + 2 * it)) }
            GgmlType.BF16 -> FloatArray(src.remaining() / 2) { Float.fromBits((src.getShort(src.position() + 2 * it).toInt() and 0xffff) shl 16) }
            else -> {
                val source = quantized(type)
                val out = ElementConversion.littleEndian(ByteBuffer.allocateDirect((src.remaining() / source.blockBytes * source.blockSize * 4)))
                ElementConversion.Dequantize(source, GgmlType.F32).convert(src, out)
                out.flip()
                FloatArray(out.remaining() / 4).also { out.asFloatBuffer().get(it) }
            }
        }
    }

    fun encode(type: GgmlType, values: FloatArray, rowLength: Long, byteSize: Long): ByteBuffer {
        val out = ElementConversion.littleEndian(ByteBuffer.allocateDirect(Math.toIntExact(byteSize)))
        when (type) {
            GgmlType.F32 -> out.asFloatBuffer().put(values)
            GgmlType.F16 -> for (i in values.indices) out.putShort(2 * i, HalfFloat.fromFloat(values[i]))
            GgmlType.BF16 -> for (i in values.indices) out.putShort(2 * i, bf16(values[i]))
            else -> {
                quantized(type)
                val f32 = ElementConversion.littleEndian(ByteBuffer.allocateDirect(values.size * 4))
                f32.asFloatBuffer().put(values)
                SdCppQuantizer.quantize(type, f32, rowLength, out)
                out.clear()
            }
        }
        require(out.capacity().toLong() == byteSize)
        return out
    }

    private fun quantized(type: GgmlType): DType =
        DType.ofGgml(type.value)?.takeIf { it.isQuantized } ?: throw IllegalArgumentException("cannot change weights of type ${type.ggmlName()}")

    /** ggml's f32 → bf16: round to nearest even, NaN kept quiet. */
    private fun bf16(f: Float): Short {
        val u = f.toRawBits()
        if (f.isNaN()) return ((u ushr 16) or 64).toShort()
        return ((u + (0x7fff + ((u ushr 16) and 1))) ushr 16).toShort()
    }
}
