package dev.sdj.core.image

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import java.util.HexFormat
import kotlin.random.Random

class ImageMetadataTest {
    @TempDir
    lateinit var dir: Path

    private val base = GenerationParameters(
        prompt = "a cat", negativePrompt = "blurry", seed = 42, steps = 20, sampler = "Euler",
        cfgScale = 7.0, width = 512, height = 512, modelHash = "abcd1234ef",
    )

    @Test
    fun `the A1111 infotext`() {
        assertEquals(
            "a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Size: 512x512, Model hash: abcd1234ef",
            base.infotext(),
        )
    }

    @Test
    fun `optional parts are left out`() {
        assertEquals(
            "a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Size: 512x512",
            base.copy(negativePrompt = "", modelHash = null).infotext(),
        )
        // A1111 strips the whole text, so an empty prompt leaves no blank first line.
        assertEquals(
            "Negative prompt: blurry\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 42, Size: 512x512, Model hash: abcd1234ef",
            base.copy(prompt = "").infotext(),
        )
    }

    @Test
    fun `numbers as A1111 prints them`() {
        val p = base.copy(cfgScale = 7.5, seed = 4_294_967_295L, width = 768, height = 1344)
        assertEquals("a cat\nNegative prompt: blurry\nSteps: 20, Sampler: Euler, CFG scale: 7.5, Seed: 4294967295, Size: 768x1344, Model hash: abcd1234ef", p.infotext())
        assertEquals("CFG scale: 1, ", base.copy(cfgScale = 1.0).infotext().substringAfter("Euler, ").take(14))
    }

    @Test
    fun `extra pairs follow in order and values are quoted like json dumps`() {
        val p = base.copy(
            sampler = "DPM++ 2M",
            modelHash = null,
            extra = linkedMapOf("Denoising strength" to "0.7", "Clip skip" to "2", "Lora hashes" to "a: 1, b: 2", "Note" to "say \"hi\"\\\n\t\u0001é"),
        )
        assertEquals(
            "a cat\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 42, Size: 512x512, " +
                "Denoising strength: 0.7, Clip skip: 2, Lora hashes: \"a: 1, b: 2\", Note: \"say \\\"hi\\\"\\\\\\n\\t\\u0001é\"",
            p.infotext(),
        )
    }

    private val a1111 = base.copy(
        prompt = "a lighthouse, at dusk: oil", sampler = "DPM++ 2M", scheduleType = "Karras", cfgScale = 7.5,
        model = "v1-5-pruned, emaonly", extra = linkedMapOf("Clip skip" to "2", "RNG" to "CPU", "Version" to "sdj 0.1.0"),
    )

    @Test
    fun `schedule type and model sit where A1111 writes them`() {
        assertEquals(
            "a lighthouse, at dusk: oil\nNegative prompt: blurry\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7.5, " +
                "Seed: 42, Size: 512x512, Model hash: abcd1234ef, Model: \"v1-5-pruned, emaonly\", Clip skip: 2, RNG: CPU, Version: sdj 0.1.0",
            a1111.infotext(),
        )
    }

    @Test
    fun `A1111's reader gets every field back`() {
        val read = A1111InfotextReader.read(a1111.infotext())
        val (w, h) = read.getValue("Size").split("x").map { it.toInt() }
        val standard = setOf("Prompt", "Negative prompt", "Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model")
        val back = GenerationParameters(
            prompt = read.getValue("Prompt"), negativePrompt = read.getValue("Negative prompt"), seed = read.getValue("Seed").toLong(),
            steps = read.getValue("Steps").toInt(), sampler = read.getValue("Sampler"), cfgScale = read.getValue("CFG scale").toDouble(),
            width = w, height = h, modelHash = read["Model hash"], extra = read.filterKeys { it !in standard },
            scheduleType = read["Schedule type"], model = read["Model"],
        )
        assertEquals(a1111, back)
        assertEquals(a1111.extra.keys.toList(), back.extra.keys.toList(), "extras keep their order")
    }

    @Test
    fun `engine names become A1111's`() {
        assertEquals(listOf("Euler", "Euler a", "DPM++ 2M"), listOf("euler", "euler_a", "dpm++2m").map(A1111Names::sampler))
        assertEquals(listOf("Karras", null), listOf("karras", "discrete").map(A1111Names::scheduleType))
        assertEquals(listOf("CPU", null), listOf("cpu", "cuda").map(A1111Names::rng))
    }

    @Test
    fun `values without comma, colon or newline stay bare even with quotes`() {
        assertEquals("say \"hi\"", GenerationParameters.quote("say \"hi\""))
        assertEquals("\"a:b\"", GenerationParameters.quote("a:b"))
    }

    @Test
    fun `bad parameters are refused`() {
        assertThrows<IllegalArgumentException> { base.copy(steps = 0) }
        assertThrows<IllegalArgumentException> { base.copy(width = 0) }
        assertThrows<IllegalArgumentException> { base.copy(cfgScale = Double.NaN) }
        assertThrows<IllegalArgumentException> { base.copy(extra = mapOf("Seed" to "1")) }
        assertThrows<IllegalArgumentException> { base.copy(extra = mapOf("a, b" to "1")) }
        assertThrows<IllegalArgumentException> { base.copy(extra = mapOf("x" to "1")) }
        assertThrows<IllegalArgumentException> { base.copy(extra = mapOf("key: x" to "1")) }
    }

    @Test
    fun `the PNG carries the parameters text, in iTXt for a non-Latin-1 prompt`() {
        val p = base.copy(prompt = "桜の下の猫, 水彩画", negativePrompt = "ぼやけた")
        assertEquals(setOf("parameters"), p.toPngText().keys)
        val text = PngTestReader.texts(PngWriter.encode(RgbImage(1, 1, ByteArray(3)), p.toPngText())).single()
        assertEquals("iTXt", text.type)
        assertEquals("parameters", text.keyword)
        assertEquals(p.infotext(), text.value)
        assertEquals("桜の下の猫, 水彩画\nNegative prompt: ぼやけた\nSteps: 20", text.value.substringBefore(", Sampler"))
    }

    @Test
    fun `model hash is the first ten hex digits of the file's SHA-256`() {
        val abc = dir.resolve("abc.safetensors").also { Files.write(it, "abc".toByteArray()) }
        assertEquals("ba7816bf8f", modelHash(abc))
        val empty = dir.resolve("empty.ckpt").also { Files.write(it, ByteArray(0)) }
        assertEquals("e3b0c44298", modelHash(empty))
        // Larger than the read block, with a ragged tail.
        val bytes = ByteArray(3 * (1 shl 20) + 7).also { Random(1).nextBytes(it) }
        val big = dir.resolve("big.safetensors").also { Files.write(it, bytes) }
        val expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).take(10)
        assertEquals(expected, modelHash(big))
    }
}
