package dev.sdj.core.model.safetensors

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.DType
import dev.sdj.core.model.safetensors.SafetensorsSamples.rawBytes
import dev.sdj.core.model.safetensors.SafetensorsSamples.writer
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertTimeoutPreemptively
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import kotlin.random.Random

/** Mutated valid files must each end in a parsed file or a [ModelFileException], never in anything else. */
class SafetensorsFuzzTest {
    @TempDir
    lateinit var dir: Path

    private val random = Random(20240611)

    private val dtypes = SafetensorsSamples.safetensorsTypes.map { it.safetensorsName!! } + listOf("Q4_0", "f32", "", "F32 ", "\\u0046\\u0033\\u0032")
    private val numbers = listOf(
        "0", "1", "-1", "7", "8", "1.5", "1e3", "-0", "255", "4294967296", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "99999999999999999999999999999", "1" + "0".repeat(1200), "null", "\"3\"", "[]", "{}",
    )

    private fun bases(): List<ByteArray> {
        val sets = listOf(
            SafetensorsSamples.everyType(seed = 3).take(4),
            SafetensorsSamples.everyType(seed = 4).drop(6).take(5),
            listOf(SampleTensor("x", DType.BF16, listOf(2L, 2L), ByteArray(8) { it.toByte() })),
        )
        return sets.mapIndexed { i, samples ->
            val path = dir.resolve("base$i.safetensors")
            writer(samples, if (i == 1) mapOf("名前" to "値", "k" to "v") else emptyMap()).write(path)
            Files.readAllBytes(path)
        }
    }

    private fun headerLength(file: ByteArray): Int =
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong(0).toInt()

    private fun header(file: ByteArray) = String(file, 8, headerLength(file), Charsets.UTF_8)

    private fun data(file: ByteArray) = file.copyOfRange(8 + headerLength(file), file.size)

    /** Rebuilds [file] with new header text; half the time the length field keeps its old, now wrong, value. */
    private fun withHeader(file: ByteArray, text: String): ByteArray {
        val keepLength = random.nextInt(4) == 0
        return rawBytes(text.toByteArray(Charsets.UTF_8), data(file), if (keepLength) headerLength(file).toLong() else null)
    }

    private fun flipBytes(file: ByteArray): ByteArray {
        val out = file.copyOf()
        repeat(1 + random.nextInt(3)) {
            val at = when (random.nextInt(10)) {
                in 0..3 -> random.nextInt(8)
                in 4..7 -> 8 + random.nextInt(headerLength(file))
                else -> random.nextInt(out.size)
            }
            out[at] = if (random.nextBoolean()) (out[at].toInt() xor (1 shl random.nextInt(8))).toByte() else random.nextInt(256).toByte()
        }
        return out
    }

    private fun truncate(file: ByteArray): ByteArray = file.copyOf(random.nextInt(file.size))

    private fun replaceNumber(file: ByteArray): ByteArray {
        val text = header(file)
        val matches = Regex("-?\\d+").findAll(text).toList()
        val match = matches[random.nextInt(matches.size)]
        val replacement = if (random.nextBoolean()) numbers.random(random) else random.nextLong().toString()
        return withHeader(file, text.replaceRange(match.range, replacement))
    }

    private fun swapDtype(file: ByteArray): ByteArray {
        val text = header(file)
        val matches = Regex("\"dtype\":\"([^\"]*)\"").findAll(text).toList()
        val range = matches[random.nextInt(matches.size)].groups[1]!!.range
        return withHeader(file, text.replaceRange(range, dtypes.random(random)))
    }

    private fun deleteStructure(file: ByteArray): ByteArray {
        val text = header(file)
        val at = text.indices.filter { text[it] in "{}[]\":," }.random(random)
        return withHeader(file, text.removeRange(at, at + 1))
    }

    private fun insertText(file: ByteArray): ByteArray {
        val text = header(file)
        val junk = listOf(",", "}", "{", "]", "\"", "\"__metadata__\":", "\"x\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},", "\u0000", "\\", " ")
        val at = random.nextInt(text.length + 1)
        return withHeader(file, text.substring(0, at) + junk.random(random) + text.substring(at))
    }

    private fun changeLength(file: ByteArray): ByteArray {
        val out = file.copyOf()
        val length = headerLength(file).toLong()
        val value = when (random.nextInt(6)) {
            0 -> length + random.nextInt(-16, 17)
            1 -> 0L
            2 -> out.size.toLong() - 8 + random.nextInt(-2, 3)
            3 -> SafetensorsFile.MAX_HEADER_BYTES + random.nextInt(-1, 2)
            4 -> -random.nextLong(1, 1000)
            else -> random.nextLong()
        }
        ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value)
        return out
    }

    private val mutations: List<Pair<String, (ByteArray) -> ByteArray>> = listOf(
        "flip bytes" to ::flipBytes,
        "truncate" to ::truncate,
        "replace a number" to ::replaceNumber,
        "swap a dtype" to ::swapDtype,
        "delete structure" to ::deleteStructure,
        "insert text" to ::insertText,
        "change the length field" to ::changeLength,
    )

    @Test
    fun `mutated files are parsed or rejected with ModelFileException`() {
        val bases = bases()
        val path = dir.resolve("fuzz.safetensors")
        val iterations = 3000
        val outcomes = sortedMapOf<String, Int>()
        assertTimeoutPreemptively(Duration.ofSeconds(120)) {
            repeat(iterations) { i ->
                val (kind, mutate) = mutations[i % mutations.size]
                val bytes = mutate(bases.random(random))
                Files.write(path, bytes)
                val outcome = try {
                    val file = SafetensorsFile.read(path)
                    for (t in file.tensors) assertTrue(t.offset + t.byteSize <= bytes.size, "$kind #$i: ${t.name} out of bounds")
                    "parsed"
                } catch (e: ModelFileException) {
                    assertTrue(e.file() == path && e.reason().isNotEmpty(), "$kind #$i: ${e.message}")
                    "rejected"
                } catch (e: Exception) {
                    throw AssertionError("$kind #$i threw ${e.javaClass.name}", e)
                }
                outcomes.merge("$kind: $outcome", 1, Int::plus)
            }
        }
        println("safetensors fuzz, $iterations mutations: $outcomes")
        assertTrue(outcomes.keys.any { it.endsWith("parsed") } && outcomes.keys.any { it.endsWith("rejected") }, outcomes.toString())
    }
}
