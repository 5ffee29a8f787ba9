package dev.sdj.core.model.gguf

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.gguf.RawGguf.Companion.F32
import dev.sdj.core.model.gguf.RawGguf.Companion.Q8_0
import dev.sdj.core.model.gguf.RawGguf.Companion.STRING
import dev.sdj.core.model.gguf.RawGguf.Tensor
import org.junit.jupiter.api.Assertions.assertTimeoutPreemptively
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import kotlin.random.Random

class GgufFuzzTest {
    @TempDir
    lateinit var dir: Path

    private val seeds: List<RawGguf> = listOf(
        RawGguf.file(
            entries = listOf(
                { key("general.architecture", STRING).str("flux") },
                { key("general.name", STRING).str("Grüße 世界") },
                { key("u8", 0).u8(200) },
                { key("i32", 5).u32(-7) },
                { key("f32", 6).f32(0.5f) },
                { key("flag", 7).u8(1) },
                { key("u64", 10).u64(1L shl 40) },
                { key("tokens", 9).arrayHeader(STRING, 3).str("a").str("bb").str("ü") },
                { key("nested", 9).arrayHeader(9, 2).arrayHeader(4, 1).u32(9).arrayHeader(7, 2).u8(0).u8(1) },
            ),
        ),
        RawGguf.file(
            entries = listOf({ key("general.alignment", 4).u32(64) }, { key("general.architecture", STRING).str("sd") }),
            tensors = listOf(Tensor("f16", listOf(4, 4), 1, 0), Tensor("q4k", listOf(256), 12, 64), Tensor("i32", listOf(2, 2, 2), 26, 256)),
            dataBytes = 288,
            alignment = 64,
        ),
        RawGguf.file(
            entries = listOf({ key("k", STRING).str("v") }),
            tensors = listOf(Tensor("w", listOf(4), F32, 0), Tensor("q", listOf(32), Q8_0, 32)),
            dataBytes = 66,
            version = 2,
        ),
    )

    private val interesting = longArrayOf(
        0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 32, 33, 64, 255, 256, 0xFFFF, 0x0300_0000, 0x7FFF_FFFF, 0xFFFF_FFFFL,
        1L shl 32, 1L shl 40, 1L shl 62, Long.MAX_VALUE, Long.MIN_VALUE, -1,
    )

    @Test
    fun `mutated files either read or fail with a ModelFileException, quickly`() {
        seeds.forEachIndexed { i, seed ->
            val f = dir.resolve("seed-$i.gguf")
            Files.write(f, seed.bytes())
            GgufFile.read(f)
        }
        val random = Random(20240611)
        var succeeded = 0
        var failed = 0
        val reasons = sortedMapOf<String, Int>()
        assertTimeoutPreemptively(Duration.ofSeconds(180)) {
            for (i in 0 until 1500) {
                val seed = seeds[i % seeds.size]
                val (bytes, what) = mutate(seed, random, i % 3)
                val file = dir.resolve("fuzz-$i.gguf")
                Files.write(file, bytes)
                val start = System.nanoTime()
                try {
                    GgufFile.read(file)
                    succeeded++
                } catch (e: ModelFileException) {
                    assertTrue(e.message!!.startsWith(file.toString()), e.message)
                    reasons.merge(kindOf(e.reason()), 1, Int::plus)
                    failed++
                } catch (t: Throwable) {
                    fail<Unit>("mutation $i of seed ${i % seeds.size} ($what) threw ${t.javaClass.name}", t)
                }
                val millis = (System.nanoTime() - start) / 1_000_000
                assertTrue(millis < 2000, "mutation $i ($what) took $millis ms")
                Files.delete(file)
            }
        }
        println("GGUF fuzz: ${succeeded + failed} mutated files, $succeeded read, $failed refused with ModelFileException")
        reasons.entries.sortedByDescending { it.value }.forEach { (reason, n) -> println("  $n × $reason") }
        assertTrue(succeeded > 0 && failed > 0, "the mutations should produce both readable and refused files")
    }

    /** The reason with names, numbers and found bytes blanked, so failures group by kind. */
    private fun kindOf(reason: String) = reason
        .replace(Regex("'[^']*'"), "'…'")
        .replace(Regex("starts with .*"), "starts with …")
        .replace(Regex("\\d+"), "N")
        .substringBefore(";")

    private fun mutate(seed: RawGguf, random: Random, kind: Int): Pair<ByteArray, String> {
        val bytes = seed.bytes()
        return when (kind) {
            0 -> {
                // Most flips land in the header, where the parser's decisions are made.
                val header = seed.marks.getValue("data")
                val n = random.nextInt(1, 9)
                repeat(n) {
                    val at = if (random.nextInt(5) < 4) random.nextInt(header) else random.nextInt(bytes.size)
                    bytes[at] = (bytes[at].toInt() xor random.nextInt(1, 256)).toByte()
                }
                bytes to "$n byte flips"
            }
            1 -> {
                val length = random.nextInt(bytes.size)
                bytes.copyOf(length) to "truncated to $length bytes"
            }
            else -> {
                val (at, width) = seed.fields[random.nextInt(seed.fields.size)]
                val value = when (random.nextInt(3)) {
                    0 -> interesting[random.nextInt(interesting.size)]
                    1 -> random.nextLong(0, bytes.size * 2L)
                    else -> random.nextLong()
                }
                repeat(width) { bytes[at + it] = (value ushr (8 * it)).toByte() }
                bytes to "field at $at set to $value"
            }
        }
    }
}
