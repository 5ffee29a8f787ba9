package dev.sdj.core.bench

import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlType

/**
 * Host → device copy speed the way streaming copies: from the device's pinned host buffer type (or plain host memory
 * where it has none) into a device buffer, a large tensor at a time.
 */
object UploadBandwidth {
    /** Best bytes per second over [runs] copies of [bytes]. */
    fun measure(ggml: Ggml, device: Device, bytes: Long = 256L shl 20, runs: Int = 5): Double {
        val host = device.hostBufferType().orElse(ggml.cpu().bufferType())
        ggml.newContext(2).use { ctx ->
            val src = ctx.newTensor(GgmlType.F32, bytes / 4)
            val dst = ctx.newTensor(GgmlType.F32, bytes / 4)
            host.allocate(host.allocSize(src)).use { h ->
                device.bufferType().allocate(device.bufferType().allocSize(dst)).use { d ->
                    h.place(src, 0, host.alignment())
                    d.place(dst, 0, device.bufferType().alignment())
                    h.clearToZero()
                    src.copyTo(dst)     // first touch of both buffers, not timed
                    var best = Long.MAX_VALUE
                    repeat(runs) {
                        val t = System.nanoTime()
                        src.copyTo(dst)
                        best = minOf(best, System.nanoTime() - t)
                    }
                    return bytes / (best / 1e9)
                }
            }
        }
    }
}
