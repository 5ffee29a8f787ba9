package dev.sdj.core.model

import dev.sdj.api.EngineException
import dev.sdj.core.family.sd.SdArchitecture
import dev.sdj.core.family.sd.TinySdModel
import dev.sdj.ggml.Ggml
import org.junit.jupiter.api.Assertions.assertTimeoutPreemptively
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Random

/**
 * Mutated model files through the whole inspect path (reader, family detection, component split, device layout):
 * each ends in a report or a typed engine error — never another exception, a crash or a hang.
 */
class InspectFuzzTest {
    private val micro = SdArchitecture(
        unet = SdArchitecture.Unet(modelChannels = 8, contextDim = 8, channelMult = listOf(1, 2)),
        vae = SdArchitecture.Vae(channels = 8, channelMult = listOf(1, 2)),
        clip = SdArchitecture.Clip(vocabSize = 40, hidden = 8, layers = 1),
    )

    @Test
    fun `a thousand mutated files end in a report or a typed error`(@TempDir dir: Path) {
        val ggml = Ggml.get()
        val tiny = TinySdModel(micro)
        val bases = listOf(
            Files.readAllBytes(tiny.writeSingleFile(dir.resolve("base.safetensors"))),
            Files.readAllBytes(tiny.writeSingleFile(dir.resolve("base.gguf"))),
        )
        val rnd = Random(20261124)
        var reports = 0
        var typed = 0
        assertTimeoutPreemptively(Duration.ofMinutes(4)) {
            for (i in 0 until 1000) {
                val base = bases[i % 2]
                val mutated = mutate(base, i % 2 == 0, rnd)
                val file = dir.resolve(if (i % 2 == 0) "m.safetensors" else "m.gguf")
                Files.write(file, mutated)
                try {
                    ModelInspector.inspect(listOf(file), null, ggml)
                    reports++
                } catch (e: EngineException) {
                    typed++
                } catch (e: Throwable) {
                    throw AssertionError("mutation $i escaped as ${e.javaClass.name}: ${e.message}", e)
                }
            }
        }
        println("inspect fuzz: $reports reports, $typed typed errors")
        assertTrue(reports > 0 && typed > 0, "both outcomes should occur: $reports reports, $typed errors")
    }

    private fun headerEnd(bytes: ByteArray, safetensors: Boolean): Int =
        if (safetensors) (8 + ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0)).toInt() else minOf(bytes.size, 64 * 1024)

    private fun mutate(base: ByteArray, safetensors: Boolean, rnd: Random): ByteArray {
        val end = minOf(headerEnd(base, safetensors), base.size)
        return when (rnd.nextInt(10)) {
            in 0..3 -> base.copyOf().also { b -> repeat(1 + rnd.nextInt(8)) { b[rnd.nextInt(end)] = rnd.nextInt(256).toByte() } }
            in 4..5 -> base.copyOf(rnd.nextInt(base.size))
            in 6..7 -> if (safetensors) editJsonNumber(base, end, rnd) else editWord(base, end, rnd)
            else -> base.copyOf().also { b -> repeat(1 + rnd.nextInt(4)) { b[rnd.nextInt(b.size)] = rnd.nextInt(256).toByte() } }
        }
    }

    /** Replaces one number in the safetensors JSON header and fixes the length prefix, so the JSON stays readable. */
    private fun editJsonNumber(base: ByteArray, end: Int, rnd: Random): ByteArray {
        val header = String(base, 8, end - 8, Charsets.UTF_8)
        val numbers = Regex("-?\\d+").findAll(header).toList()
        if (numbers.isEmpty()) return base
        val pick = numbers[rnd.nextInt(numbers.size)]
        val replacement = listOf("0", "-1", "9223372036854775807", "18446744073709551616", rnd.nextInt(1 shl 20).toString(), "1e3")[rnd.nextInt(6)]
        val edited = header.replaceRange(pick.range, replacement).toByteArray(Charsets.UTF_8)
        val out = ByteBuffer.allocate(8 + edited.size + (base.size - end)).order(ByteOrder.LITTLE_ENDIAN)
        out.putLong(edited.size.toLong()).put(edited).put(base, end, base.size - end)
        return out.array()
    }

    /** Overwrites an aligned 4- or 8-byte field in the GGUF header with an extreme value. */
    private fun editWord(base: ByteArray, end: Int, rnd: Random): ByteArray {
        val b = base.copyOf()
        val bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN)
        val values = longArrayOf(0, 1, 5, -1, Long.MAX_VALUE, 1L shl 32, rnd.nextLong(), 0xFFFFFFFFL)
        val pos = rnd.nextInt(maxOf(1, end - 8)) and 3.inv()
        if (rnd.nextBoolean()) bb.putLong(pos, values[rnd.nextInt(values.size)]) else bb.putInt(pos, values[rnd.nextInt(values.size)].toInt())
        return b
    }
}
