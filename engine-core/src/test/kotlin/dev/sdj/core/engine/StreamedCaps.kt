package dev.sdj.core.engine

import dev.sdj.api.GenerationRequest
import dev.sdj.api.GenerationResult
import dev.sdj.api.PlacementReport
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue

/**
 * The streamed placement's witness, shared by the families' end-to-end tests: under caps between streaming every
 * block and sequential placement, the engine streams, its predicted peak is the ledger's, it stays under the cap, and
 * the image is [expectedPng] byte for byte (and whatever else [same] checks of the result, e.g. a clip's frames); the
 * caps keep different numbers of blocks resident.
 */
object StreamedCaps {
    fun assertStreamedCaps(engine: SdjEngine, request: GenerationRequest, device: String, expectedPng: ByteArray,
                           same: (GenerationResult) -> Unit = {}) =
        assertStreamedCaps(engine::plan, engine::generate, request, device, expectedPng, same)

    /**
     * The same witness over [plan] and [generate]: for a family whose conditioning a repeated prompt reuses, each
     * generation from a fresh engine, so that its conditioning phases run and the ledger sees their peak.
     */
    fun assertStreamedCaps(plan: (GenerationRequest) -> PlacementReport, generate: (GenerationRequest) -> GenerationResult,
                           request: GenerationRequest, device: String, expectedPng: ByteArray, same: (GenerationResult) -> Unit = {}) {
        val plan = plan(request)
        val smallest = plan.peakByPlacement().getValue("streamed")
        val sequential = plan.peakByPlacement().getValue("sequential")
        assertTrue(smallest < sequential, "streaming every block needs less than sequential ($smallest vs $sequential)")
        val seen = HashSet<Int>()
        // Each cap is one more generation, seconds on lavapipe: there the two extreme caps (every block streamed, the
        // most resident just under sequential) witness the device's ledger; the CPU takes the middle cap too.
        val middle = if (device == "CPU") listOf((smallest + sequential) / 2) else emptyList()
        for (cap in listOf(smallest) + middle + listOf(sequential - 1)) {
            val r = generate(request.toBuilder().maxDeviceMemory(cap).build())
            assertEquals("streamed", r.placement().placement(), "cap $cap")
            seen.add(r.placement().residentBlocks())
            assertTrue(r.placement().residentBlocks() < r.placement().blocks(), "cap $cap streams some block")
            assertEquals(r.placement().peakBytes(), r.peakDeviceBytes().getValue(device), "predicted = ledger peak at cap $cap")
            assertTrue(r.peakDeviceBytes().getValue(device) <= cap, "within the cap $cap")
            assertArrayEquals(expectedPng, r.png, "same image with ${r.placement().residentBlocks()} blocks resident")
            same(r)
        }
        assertTrue(seen.size >= 2, "the caps exercise several resident counts: $seen")
    }
}
