package dev.sdj.core.scheduler

import dev.sdj.core.graph.GraphExecutor
import dev.sdj.core.memory.StreamedParams
import dev.sdj.ggml.Backend
import dev.sdj.ggml.Ggml
import dev.sdj.ggml.Graph
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import java.util.IdentityHashMap
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicLong

/**
 * Computes a graph over [params] block by block: before block i computes, the upload of block i + slots − 1 is
 * issued on an upload thread, into the slot block i − 1 has just finished with, so loading overlaps computing.
 * Uploads are synchronous copies on their own thread (ggml backends take uploads from another thread: the CPU's are
 * memcpys, CUDA's run on a per-thread stream, Vulkan's lock its queues), which is what lets them overlap.
 */
class StreamingExecutor(private val ggml: Ggml, private val params: StreamedParams) : GraphExecutor, AutoCloseable {
    private val uploadThread = Executors.newSingleThreadExecutor { r -> Thread(r, "sdj-upload").apply { isDaemon = true } }
    private val scope = CoroutineScope(SupervisorJob() + uploadThread.asCoroutineDispatcher())
    private val schedules = IdentityHashMap<Graph, BlockSchedule>()
    private val uploaded = AtomicLong()

    /** Bytes uploaded into the slots so far. */
    val uploadedBytes: Long get() = uploaded.get()

    /** Time computing stood still waiting for a block's upload to finish, so far. */
    var waitNanos = 0L
        private set

    override fun compute(graph: Graph, backend: Backend) {
        val schedule = schedules.getOrPut(graph) { BlockSchedule.of(ggml, graph, params.streamed.map { it.second.values }) }
        val blocks = params.streamed.size
        val uploads = arrayOfNulls<Deferred<Long>>(blocks)
        fun request(i: Int) {
            if (i < blocks && uploads[i] == null) uploads[i] = scope.async { params.upload(i) }
        }
        runBlocking {
            try {
                for (i in 0 until params.slots - 1) request(i)
                var ready = -1
                for (slice in schedule.slices) {
                    if (slice.block > ready) {
                        request(slice.block + params.slots - 1)
                        val waitStart = System.nanoTime()
                        uploaded.addAndGet(uploads[slice.block]!!.await())
                        waitNanos += System.nanoTime() - waitStart
                        ready = slice.block
                    }
                    backend.compute(slice.graph)
                }
            } finally {
                // A failed step must not leave an upload writing into slots that are about to be freed.
                uploads.forEach { u -> runCatching { u?.await() } }
            }
        }
    }

    override fun close() {
        scope.cancel()
        uploadThread.shutdown()
        schedules.values.forEach { it.close() }
        schedules.clear()
    }
}
