package dev.sdj.core.bench

import dev.sdj.core.memory.DeviceTypeSupport
import dev.sdj.core.memory.MemoryLedger
import dev.sdj.core.memory.ParamBuffer
import dev.sdj.core.memory.ParamLoader
import dev.sdj.core.memory.ParamSpecs
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.TensorRef
import dev.sdj.core.model.safetensors.SafetensorsFile
import dev.sdj.core.model.safetensors.SafetensorsWriter
import dev.sdj.ggml.Device
import dev.sdj.ggml.Ggml
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path

/**
 * Load throughput from the page cache into parameter buffers: one large safetensors file of f16 tensors, read once
 * to warm the cache, then loaded into each device's buffers several times through the same path models use.
 */
class LoadBenchmark(private val ggml: Ggml) {

    data class Result(val device: String, val bytes: Long, val secondsPerRun: List<Double>) {
        val bestMbPerSecond: Double get() = bytes / 1e6 / secondsPerRun.min()
        val medianMbPerSecond: Double get() = bytes / 1e6 / secondsPerRun.sorted()[secondsPerRun.size / 2]
    }

    /** Writes [megabytes] MB of f16 tensors (64 MiB each) to [path] unless a file of that size is already there. */
    fun prepare(path: Path, megabytes: Long): SafetensorsFile {
        val tensorBytes = 64L shl 20
        val count = ((megabytes * 1_000_000 + tensorBytes - 1) / tensorBytes).toInt()
        val expected = count * tensorBytes
        val existing = if (Files.isRegularFile(path)) runCatching { SafetensorsFile.read(path) }.getOrNull() else null
        if (existing != null && existing.tensors.sumOf { it.byteSize } == expected) return existing
        val w = SafetensorsWriter()
        val chunk = ByteBuffer.allocateDirect(1 shl 20)
        while (chunk.hasRemaining()) chunk.put((chunk.position() * 31).toByte())
        repeat(count) { i ->
            w.addTensor("blocks.$i.weight", DType.F16, listOf(8192L, tensorBytes / 2 / 8192), TensorData { out ->
                repeat((tensorBytes / chunk.capacity()).toInt()) {
                    val b = chunk.duplicate().clear()
                    while (b.hasRemaining()) out.write(b)
                }
            })
        }
        w.write(path)
        return SafetensorsFile.read(path)
    }

    /** Reads the whole file once so later loads measure the page cache, not the disk. */
    fun warm(file: SafetensorsFile) {
        FileChannel.open(file.path).use { ch ->
            val b = ByteBuffer.allocateDirect(16 shl 20)
            var pos = 0L
            while (true) {
                b.clear()
                val n = ch.read(b, pos)
                if (n <= 0) break
                pos += n
            }
        }
    }

    fun run(file: SafetensorsFile, device: Device, runs: Int): Result {
        val component = Component(ComponentKind.DIFFUSION_MODEL, file.tensors.associate { it.name to TensorRef(file, it) })
        val specs = ParamSpecs.of(component, DeviceTypeSupport.of(ggml, device)).usable(device.name())
        val ledger = MemoryLedger()
        val times = ArrayList<Double>()
        ParamBuffer.allocate(ggml, ledger, device.bufferType(), specs, "benchmark").use { buffer ->
            repeat(runs) {
                val start = System.nanoTime()
                ParamLoader().use { it.load(buffer, component.tensors) }
                times.add((System.nanoTime() - start) / 1e9)
            }
        }
        return Result(device.name(), component.fileBytes, times)
    }
}
