package dev.sdj.core.engine

import dev.sdj.api.EngineConfig
import dev.sdj.api.GenerationRequest
import dev.sdj.core.registry.DefaultModel
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CyclicBarrier
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** One engine shared by threads, and an engine after close. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineLifecycleTest {
    private val dir: Path = Files.createTempDirectory("sdj-lifecycle")
    private val model: Path = DefaultModel.path(dir)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun request(placement: String, i: Int) =
        GenerationRequest.builder(if (i % 2 == 0) "a lighthouse" else "a red barn").negativePrompt("fog").size(32, 32)
            .steps(2).seed(i.toLong()).device("CPU").threads(1).placement(placement).build()

    @ParameterizedTest
    @ValueSource(strings = ["resident", "sequential", "streamed"])
    fun `concurrent generations on one engine give the images serial runs give`(placement: String) {
        val requests = (0 until 4).map { request(placement, it) }
        val serial = SdjEngine(EngineConfig.of(model)).use { e -> requests.map { e.generate(it).png } }
        SdjEngine(EngineConfig.of(model)).use { engine ->
            val start = CyclicBarrier(requests.size)
            val pool = Executors.newFixedThreadPool(requests.size)
            try {
                val futures = requests.map { r -> pool.submit<ByteArray> { start.await(); engine.generate(r).png } }
                futures.forEachIndexed { i, f -> assertArrayEquals(serial[i], f.get(3, TimeUnit.MINUTES), "request $i under $placement") }
            } finally {
                pool.shutdownNow()
            }
        }
    }

    @Test
    fun `a closed engine refuses every call and closes again quietly`() {
        val engine = SdjEngine(EngineConfig.of(model))
        engine.generate(request("resident", 0))
        engine.close()
        engine.close()
        assertThrows(IllegalStateException::class.java) { engine.generate(request("resident", 0)) }
        assertThrows(IllegalStateException::class.java) { engine.plan(request("resident", 0)) }
        assertThrows(IllegalStateException::class.java) { engine.tune(request("resident", 0), 1) { _, _, _ -> } }
    }
}
