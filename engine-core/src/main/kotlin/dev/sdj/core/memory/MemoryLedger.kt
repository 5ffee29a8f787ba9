package dev.sdj.core.memory

import dev.sdj.api.MemoryPools
import dev.sdj.ggml.BackendBuffer
import dev.sdj.ggml.BufferType
import java.util.concurrent.atomic.AtomicLong

/**
 * Every buffer the engine allocates, per memory pool (a buffer type: "Vulkan0", "Vulkan_Host", "CPU"), with current
 * and peak bytes and who holds them. Allocation goes only through [allocate], so the ledger is exact: its current
 * bytes are the sum of the live buffers' sizes as ggml reports them. Parameters served from mapped model files are
 * recorded apart, in [MAPPED_POOL], by the bytes of the tensors they serve.
 */
class MemoryLedger {
    companion object {
        /**
         * The pool of parameters the CPU reads in place from memory-mapped model files ([InPlaceParams]): file-backed
         * pages the kernel may drop and re-read, not allocated memory, so apart from the "CPU" pool. ggml's own name
         * for CPU buffers over memory it did not allocate.
         */
        const val MAPPED_POOL = MemoryPools.MAPPED
    }

    private val ids = AtomicLong()
    private val pools = LinkedHashMap<String, Pool>()

    /** One live allocation. */
    data class Holding(val id: Long, val owner: String, val bytes: Long)

    /** A pool's figures at one moment. */
    data class PoolState(val pool: String, val currentBytes: Long, val peakBytes: Long, val holdings: List<Holding>)

    private class Pool {
        var current = 0L
        var peak = 0L
        val holdings = LinkedHashMap<Long, Holding>()
    }

    /** Allocates [bytes] of [bufferType] for [owner] and records it; the result frees and un-records once closed. */
    fun allocate(bufferType: BufferType, bytes: Long, owner: String): LedgerBuffer {
        val buffer = bufferType.allocate(bytes)
        return LedgerBuffer(record(bufferType.name(), buffer.size(), owner), buffer)
    }

    /**
     * Records [buffer], which the engine made over memory it did not allocate from a buffer type (a model file's
     * mapping), in [pool] as [bytes] for [owner]; the result frees it and un-records once closed.
     */
    fun adopt(buffer: BackendBuffer, pool: String, bytes: Long, owner: String): LedgerBuffer =
        LedgerBuffer(record(pool, bytes, owner), buffer)

    /**
     * Records memory that ggml's graph allocator holds in [pool] for [owner] (a compute buffer): the engine cannot
     * allocate it itself, but it must still be counted. Close the result when that memory is freed.
     */
    fun record(pool: String, bytes: Long, owner: String): LedgerRecord {
        val holding = Holding(ids.incrementAndGet(), owner, bytes)
        synchronized(this) {
            val p = pools.getOrPut(pool) { Pool() }
            p.holdings[holding.id] = holding
            p.current += holding.bytes
            p.peak = maxOf(p.peak, p.current)
        }
        return LedgerRecord(this, pool, holding)
    }

    internal fun release(pool: String, holding: Holding) {
        synchronized(this) {
            val p = pools.getValue(pool)
            if (p.holdings.remove(holding.id) != null) {
                p.current -= holding.bytes
            }
        }
    }

    @Synchronized
    fun state(pool: String): PoolState {
        val p = pools[pool] ?: return PoolState(pool, 0, 0, emptyList())
        return PoolState(pool, p.current, p.peak, p.holdings.values.toList())
    }

    @Synchronized
    fun states(): List<PoolState> = pools.keys.map { state(it) }

    fun currentBytes(pool: String): Long = state(pool).currentBytes

    fun peakBytes(pool: String): Long = state(pool).peakBytes

    /** Starts a new peak measurement from the current level (e.g. per generation). */
    @Synchronized
    fun resetPeak(pool: String) {
        pools[pool]?.let { it.peak = it.current }
    }
}

/** One entry of a [MemoryLedger]; closing removes it, once. */
class LedgerRecord internal constructor(
    private val ledger: MemoryLedger,
    val pool: String,
    val holding: MemoryLedger.Holding,
) : AutoCloseable {
    val bytes: Long get() = holding.bytes
    val owner: String get() = holding.owner

    override fun close() = ledger.release(pool, holding)
}

/** A buffer recorded in a [MemoryLedger]; closing frees it and removes the record, exactly once. */
class LedgerBuffer internal constructor(private val record: LedgerRecord, val buffer: BackendBuffer) : AutoCloseable {
    val pool: String get() = record.pool
    val holding: MemoryLedger.Holding get() = record.holding
    val bytes: Long get() = record.bytes
    val owner: String get() = record.owner

    override fun close() {
        if (buffer.isOpen) {
            buffer.close()
            record.close()
        }
    }
}
