package dev.sdj.core.device

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class CpuThreadsTest {
    @Test
    fun `more threads than processors are capped at the processor count`() {
        assertEquals(2, CpuThreads.effective(8, available = 2))
        assertEquals(2, CpuThreads.effective(64, available = 2))
    }

    @Test
    fun `threads within the processor count are kept and none means one per physical core`() {
        assertEquals(3, CpuThreads.effective(3, available = 4))
        assertEquals(PhysicalCores.count(), CpuThreads.effective(null))
    }
}
