package dev.sdj.core.scheduler

import dev.sdj.ggml.Ggml
import dev.sdj.ggml.GgmlContext
import dev.sdj.ggml.GgmlType
import dev.sdj.ggml.Graph
import dev.sdj.ggml.Tensor
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** Cutting a graph where the next streamed block's weights are first read, and refusing graphs a ring cannot serve. */
class BlockScheduleTest {
    private val ggml = Ggml.get()

    /** Three "blocks" of one weight each, applied one after the other to x, with a shared (resident) bias in between. */
    private fun <T> chain(order: List<Int>, use: (Graph, List<Tensor>) -> T): T {
        ggml.newContext(8).use { weights ->
            val w = List(3) { weights.newTensor(GgmlType.F32, 4, 4).name("w$it") }
            val bias = weights.newTensor(GgmlType.F32, 4).name("bias")
            ggml.cpu().bufferType().allocateTensors(weights).use {
                ggml.newContext(64, 64).use { ctx: GgmlContext ->
                    var h = ctx.newTensor(GgmlType.F32, 4, 1).name("x").asInput()
                    for (i in order) h = ctx.add(ctx.mulMat(w[i], h), bias)
                    return use(ctx.graph(64, h.asOutput()), w)
                }
            }
        }
    }

    @Test
    fun `each streamed block starts a slice and resident weights do not`() {
        chain(listOf(0, 1, 2)) { graph, w ->
            BlockSchedule.of(ggml, graph, w.map { listOf(it) }).use { s ->
                assertEquals(listOf(0, 1, 2), s.slices.map { it.block })
                assertEquals(graph.nodeCount(), s.slices.sumOf { it.nodes }, "the slices cover the graph once")
            }
        }
    }

    @Test
    fun `blocks read out of streaming order are refused`() {
        chain(listOf(0, 2, 1)) { graph, w ->
            val e = assertThrows(IllegalStateException::class.java) { BlockSchedule.of(ggml, graph, w.map { listOf(it) }) }
            assertTrue(e.message!!.contains("in order"), e.message)
        }
    }

    @Test
    fun `a block read twice is refused`() {
        chain(listOf(0, 1, 0, 2)) { graph, w ->
            assertThrows(IllegalStateException::class.java) { BlockSchedule.of(ggml, graph, w.map { listOf(it) }) }
        }
    }

    @Test
    fun `a streamed block the graph never reads is refused`() {
        chain(listOf(0, 1)) { graph, w ->
            val e = assertThrows(IllegalStateException::class.java) { BlockSchedule.of(ggml, graph, w.map { listOf(it) }) }
            assertTrue(e.message!!.contains("only 2 of 3"), e.message)
        }
    }
}
