package dev.sdj.core.lora

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.DType
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.safetensors.SafetensorsWriter
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs
import kotlin.random.Random

/**
 * LyCORIS LoHa and LoKr layers read from a file and merged into linear and convolution weights, against float64
 * references written here from the formats' definitions (PyTorch layouts: out × in × kh × kw).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LycorisMergeTest {
    private val dir: Path = Files.createTempDirectory("sdj-lycoris-merge")
    private val random = Random(17)

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    /** A tensor in PyTorch's layout (row-major over [shape]). */
    private class T(val shape: List<Int>, val values: FloatArray) {
        operator fun get(vararg i: Int): Double = values[i.foldIndexed(0) { d, at, x -> at * shape[d] + x }].toDouble()
    }

    private inner class File {
        val writer = SafetensorsWriter()

        fun add(name: String, vararg shape: Int): T {
            val t = T(shape.toList(), FloatArray(shape.fold(1) { a, b -> a * b }) { (random.nextFloat() - 0.5f) * 0.6f })
            writer.addTensor(name, DType.F32, shape.map { it.toLong() }.reversed(), f32(t.values))
            return t
        }

        fun alpha(key: String, value: Float) = writer.addTensor("$key.alpha", DType.F32, listOf(1L), f32(floatArrayOf(value)))

        fun read(name: String): LoraFile = dir.resolve(name).also { writer.write(it) }.let { LoraFile.read(it) }
    }

    private fun f32(values: FloatArray): TensorData {
        val b = ByteBuffer.allocate(values.size * 4).order(ByteOrder.LITTLE_ENDIAN)
        values.forEach { b.putFloat(it) }
        return TensorData.of(b.flip())
    }

    /** up (out × rank) · down (rank × in × kernel…), flattened to out × (in · kernel). */
    private fun product(up: T, down: T): Array<DoubleArray> {
        val cols = down.values.size / down.shape[0]
        return Array(up.shape[0]) { o -> DoubleArray(cols) { j -> (0 until up.shape[1]).sumOf { k -> up[o, k] * down.values[k * cols + j] } } }
    }

    /** The Tucker form: Σ_i Σ_j t[i, j, kh, kw] · a[i, p] · b[j, r], flattened to p × (r, kh, kw). */
    private fun tucker(t: T, a: T, b: T): Array<DoubleArray> {
        val kernel = t.shape[2] * t.shape[3]
        val inputs = b.shape[1]
        return Array(a.shape[1]) { p ->
            DoubleArray(inputs * kernel) { j ->
                val r = j / kernel
                val q = j % kernel
                var sum = 0.0
                for (i in 0 until t.shape[0]) for (jj in 0 until t.shape[1]) sum += t[i, jj, q / t.shape[3], q % t.shape[3]] * a[i, p] * b[jj, r]
                sum
            }
        }
    }

    /** kron(w1 (o1 × i1, as o1 × i1 × 1 × 1), w2 (o2 × (i2 · kernel))). */
    private fun kron(w1: Array<DoubleArray>, w2: Array<DoubleArray>, kernel: Int): Array<DoubleArray> {
        val i2 = w2[0].size / kernel
        return Array(w1.size * w2.size) { o ->
            DoubleArray(w1[0].size * w2[0].size) { j ->
                val c = j / kernel / i2
                val d = j / kernel % i2
                w1[o / w2.size][c] * w2[o % w2.size][d * kernel + j % kernel]
            }
        }
    }

    /** A whole factor as a matrix, out × the rest. */
    private fun T.matrix(): Array<DoubleArray> {
        val cols = values.size / shape[0]
        return Array(shape[0]) { o -> DoubleArray(cols) { j -> values[o * cols + j].toDouble() } }
    }

    /** Merges [layer] at [multiplier] into random weights and compares with W + [scale] · multiplier · [delta]. */
    private fun assertMerges(layer: LoraDelta, scale: Double, delta: Array<DoubleArray>, multiplier: Float = 0.8f) {
        assertEquals(delta.size, layer.rows, "${layer.key}: rows")
        assertEquals(delta[0].size, layer.cols, "${layer.key}: columns")
        val cols = layer.cols
        val weights = FloatArray(layer.rows * cols) { random.nextFloat() - 0.5f }
        val expected = DoubleArray(weights.size) { weights[it] + scale * multiplier * delta[it / cols][it % cols] }
        layer.addTo(weights, layer.factor(multiplier))
        for (i in weights.indices) {
            if (abs(weights[i] - expected[i]) > 2e-6 * (1 + abs(expected[i]))) fail<Unit>("${layer.key}[$i]: ${weights[i]} vs ${expected[i]}")
        }
    }

    @Test
    fun `a LoHa adds alpha over rank times the element-wise product of its two products, linear, convolution and Tucker`() {
        val file = File()
        val linear = (1..2).map { listOf(file.add("lora_unet_lin.hada_w${it}_a", 6, 3), file.add("lora_unet_lin.hada_w${it}_b", 3, 10)) }
        file.alpha("lora_unet_lin", 2f)
        val conv = (1..2).map { listOf(file.add("lora_unet_conv.hada_w${it}_a", 5, 2), file.add("lora_unet_conv.hada_w${it}_b", 2, 4, 3, 3)) }
        // Tucker form, no alpha: scale 1.
        val tucker = (1..2).map {
            listOf(file.add("lora_unet_tucker.hada_t$it", 2, 2, 3, 3), file.add("lora_unet_tucker.hada_w${it}_a", 2, 5),
                file.add("lora_unet_tucker.hada_w${it}_b", 2, 4))
        }
        val read = file.read("loha.safetensors")
        assertTrue(read.layers.isEmpty() && read.unused.isEmpty(), "every tensor belongs to a LoHa layer: ${read.unused}")
        val byKey = read.lycoris.associateBy { it.key }
        assertEquals(setOf("lora_unet_lin", "lora_unet_conv", "lora_unet_tucker"), byKey.keys)
        fun hadamard(a: Array<DoubleArray>, b: Array<DoubleArray>) = Array(a.size) { o -> DoubleArray(a[o].size) { a[o][it] * b[o][it] } }
        assertMerges(byKey.getValue("lora_unet_lin"), 2.0 / 3, hadamard(product(linear[0][0], linear[0][1]), product(linear[1][0], linear[1][1])))
        assertMerges(byKey.getValue("lora_unet_conv"), 1.0, hadamard(product(conv[0][0], conv[0][1]), product(conv[1][0], conv[1][1])))
        assertMerges(byKey.getValue("lora_unet_tucker"), 1.0,
            hadamard(tucker(tucker[0][0], tucker[0][1], tucker[0][2]), tucker(tucker[1][0], tucker[1][1], tucker[1][2])))
    }

    @Test
    fun `a LoKr adds the Kronecker product of its factors, whole or low-rank, linear, convolution and Tucker, scaled as sd·cpp scales it`() {
        val file = File()
        // Both factors whole: rank 1, so scale 1 whatever the alpha.
        val w1 = file.add("lora_unet_lin.lokr_w1", 2, 3)
        val w2 = file.add("lora_unet_lin.lokr_w2", 4, 5)
        file.alpha("lora_unet_lin", 8f)
        // The second factor low-rank over a 3×3 kernel: alpha / its rank.
        val c1 = file.add("lora_unet_conv.lokr_w1", 2, 2)
        val c2a = file.add("lora_unet_conv.lokr_w2_a", 3, 2)
        val c2b = file.add("lora_unet_conv.lokr_w2_b", 2, 3, 3, 3)
        file.alpha("lora_unet_conv", 3f)
        // The first factor low-rank, the second in Tucker form: the second's rank (4) sets the scale.
        val t1a = file.add("lora_unet_tucker.lokr_w1_a", 2, 1)
        val t1b = file.add("lora_unet_tucker.lokr_w1_b", 1, 2)
        val t2 = file.add("lora_unet_tucker.lokr_t2", 4, 4, 3, 3)
        val t2a = file.add("lora_unet_tucker.lokr_w2_a", 4, 3)
        val t2b = file.add("lora_unet_tucker.lokr_w2_b", 4, 5)
        file.alpha("lora_unet_tucker", 2f)
        val read = file.read("lokr.safetensors")
        assertTrue(read.layers.isEmpty() && read.unused.isEmpty(), "every tensor belongs to a LoKr layer: ${read.unused}")
        val byKey = read.lycoris.associateBy { it.key }
        assertMerges(byKey.getValue("lora_unet_lin"), 1.0, kron(w1.matrix(), w2.matrix(), 1))
        assertMerges(byKey.getValue("lora_unet_conv"), 3.0 / 2, kron(c1.matrix(), product(c2a, c2b), 9))
        assertMerges(byKey.getValue("lora_unet_tucker"), 2.0 / 4, kron(product(t1a, t1b), tucker(t2, t2a, t2b), 9))
    }

    @Test
    fun `a LyCORIS layer without a tensor its form needs is refused naming it`() {
        val file = File()
        file.add("lora_unet_lin.hada_w1_a", 6, 3)
        file.add("lora_unet_lin.hada_w1_b", 3, 10)
        file.add("lora_unet_lin.hada_w2_a", 6, 3)
        val e = assertThrows(ModelFileException::class.java) { file.read("broken.safetensors") }
        assertTrue(e.message!!.contains("lora_unet_lin.hada_w2_b"), e.message)
    }
}
