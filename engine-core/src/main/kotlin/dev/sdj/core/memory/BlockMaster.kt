package dev.sdj.core.memory

import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.BufferType
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.Tensor

/**
 * The host's master copy of streamed blocks, from which a block is uploaded into its device slot as often as it is
 * needed. Weights only ever travel host → device: the device copy is dropped when the slot is reused.
 */
interface BlockMaster : AutoCloseable {
    /** Writes [tensors] (device tensors, by parameter name) from the master copy; returns the bytes written. */
    fun upload(tensors: Map<String, Tensor>): Long
}

/**
 * Master copy in a host buffer of the device's host buffer type (pinned memory: CUDA_Host, Vulkan_Host), loaded
 * from the model file once and recorded in the ledger under that pool. Uploads from pinned memory run at the bus's
 * full speed and need no staging copy.
 */
class HostBufferMaster private constructor(private val copy: ParamBuffer) : BlockMaster {
    val bytes: Long get() = copy.bytes

    override fun upload(tensors: Map<String, Tensor>): Long {
        var n = 0L
        for ((name, dst) in tensors) {
            copy.tensor(name).copyTo(dst)
            n += dst.nbytes()
        }
        return n
    }

    override fun close() = copy.close()

    companion object {
        fun load(ggml: Ggml, ledger: MemoryLedger, host: BufferType, specs: List<ParamSpec>, sources: Map<String, TensorRef>,
                 owner: String): HostBufferMaster {
            val (copy, _) = ParamLoader().use { it.allocateAndLoad(ggml, ledger, host, specs, sources, "$owner (host copy)") }
            return HostBufferMaster(copy)
        }
    }
}

/**
 * Master copy left in the model file (memory-mapped, in the page cache): for devices without a host buffer type of
 * their own, such as the CPU, where a second copy in the same memory would only double it.
 */
class FileMaster(private val sources: Map<String, TensorRef>) : BlockMaster {
    private val loader = ParamLoader()

    override fun upload(tensors: Map<String, Tensor>): Long {
        var n = 0L
        for ((name, dst) in tensors) {
            n += loader.load(dst, sources[name] ?: throw IllegalArgumentException("no source for tensor '$name'"))
        }
        return n
    }

    override fun close() = loader.close()
}

/**
 * A master copy with the tensors a [WeightPatch] changes served from patched copies of them instead ([patched], kept
 * beside it in host memory), so the master itself stays as the file holds it and changing the patch never reloads it.
 * Both are the caller's: closing this closes neither.
 */
class PatchedMaster(private val master: BlockMaster, private val patched: ParamBuffer) : BlockMaster {
    override fun upload(tensors: Map<String, Tensor>): Long {
        val (own, rest) = tensors.entries.partition { it.key in patched.names }
        var n = if (rest.isEmpty()) 0L else master.upload(rest.associate { it.key to it.value })
        for ((name, dst) in own) {
            patched.tensor(name).copyTo(dst)
            n += dst.nbytes()
        }
        return n
    }

    override fun close() {}
}
