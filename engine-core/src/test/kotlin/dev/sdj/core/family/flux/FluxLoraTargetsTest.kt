package dev.sdj.core.family.flux

import dev.sdj.api.Lora
import dev.sdj.core.lora.LoraPatch
import dev.sdj.core.lora.LoraTarget
import dev.sdj.core.lora.Loras
import dev.sdj.core.lora.RowSpan
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelAssembly
import dev.sdj.core.model.ModelOpener
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.fail
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.CsvSource
import java.nio.file.Files
import java.nio.file.Path
import kotlin.math.abs
import kotlin.random.Random

/**
 * Flux LoRAs in Black Forest Labs' and diffusers' naming, mapped onto a model opened with either naming and merged,
 * against a float64 reference computed in BFL's fused rows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FluxLoraTargetsTest {
    private val dir: Path = Files.createTempDirectory("sdj-flux-lora")
    private val tiny = TinyFluxModel()
    private val hidden = tiny.arch.dit.hidden
    private val bflModel = open(tiny.writeSplitFiles(dir.resolve("split")))
    private val diffusersModel = open(listOf(tiny.writeDiffusersFolder(dir.resolve("diffusers"))))
    private val loras = TinyFluxLoras(tiny.arch)
    private val files = TinyFluxLoras.Naming.entries.associateWith { naming ->
        val path = dir.resolve("$naming.safetensors")
        path to loras.write(path, naming)
    }

    private fun open(paths: List<Path>): AssembledModel = ModelAssembly.assemble(ModelOpener.open(paths))

    @AfterAll
    fun cleanUp() {
        dir.toFile().deleteRecursively()
    }

    private fun patches(model: AssembledModel, path: Path, multiplier: Double): Map<ComponentKind, LoraPatch> =
        Loras(FluxLoraTargets(model), "Flux") { t -> model.components[t.component]?.tensors?.get(t.tensor)?.shape?.fold(1L) { a, b -> a * b } }
            .apply(listOf(Lora(path, multiplier))).patches

    @ParameterizedTest(name = "{0} LoRA on a model in {1} names")
    @CsvSource("BFL, BFL", "BFL, DIFFUSERS", "DIFFUSERS, BFL", "DIFFUSERS, DIFFUSERS")
    fun `each layer adds multiplier times its scale times up·down to the rows it adapts, fused or split`(naming: TinyFluxLoras.Naming, modelNaming: TinyFluxLoras.Naming) {
        val (path, layers) = files.getValue(naming)
        val multiplier = 0.7
        val patches = patches(if (modelNaming == TinyFluxLoras.Naming.BFL) bflModel else diffusersModel, path, multiplier)
        val random = Random(5)
        val names = DiffusersFluxNames(hidden.toLong())
        for ((weight, adapting) in layers.groupBy { it.kind to it.weight }) {
            val (kind, name) = weight
            val entry = tiny.components.getValue(kind).first { it.name == name }
            val rows = entry.torchShape[0].toInt()
            val cols = entry.torchShape[1].toInt()
            val base = FloatArray(rows * cols) { random.nextFloat() - 0.5f }
            val expected = DoubleArray(base.size) { base[it].toDouble() }
            for (l in adapting) {
                val scale = (l.alpha?.toDouble()?.div(l.rank) ?: 1.0) * multiplier
                for (r in 0 until l.up.size / l.rank) {
                    val row = if (l.swapped) (r + rows / 2) % rows else l.firstRow + r
                    for (c in 0 until cols) {
                        var product = 0.0
                        for (k in 0 until l.rank) product += l.up[r * l.rank + k].toDouble() * l.down[k * cols + c]
                        expected[row * cols + c] += scale * product
                    }
                }
            }
            val patch = patches.getValue(kind)
            val actual = if (modelNaming == TinyFluxLoras.Naming.BFL || kind != ComponentKind.DIFFUSION_MODEL) {
                base.copyOf().also { patch.apply(name, it) }
            } else {
                // The diffusers model holds the weight as parts: cut them out as the layout stores them, patch each, put them back.
                val merged = FloatArray(base.size)
                for (part in names.parts(entry)) {
                    val first = part.firstRow.toInt()
                    val count = part.torchShape[0].toInt()
                    val stored = FloatArray(count * cols) { i -> base[(if (part.halvesSwapped) (i / cols + rows / 2) % rows else first + i / cols) * cols + i % cols] }
                    patch.apply(part.name, stored)
                    for (i in stored.indices) merged[(if (part.halvesSwapped) (i / cols + rows / 2) % rows else first + i / cols) * cols + i % cols] = stored[i]
                }
                merged
            }
            for (i in actual.indices) {
                if (abs(actual[i] - expected[i]) > 1e-6 * (1 + abs(expected[i]))) fail<Unit>("$name[${i / cols}, ${i % cols}]: ${actual[i]} vs ${expected[i]}")
            }
        }
    }

    @Test
    fun `diffusers' q, k, v and proj_mlp are row ranges of the fused weights, and BFL's fused weight splits over diffusers' parts`() {
        val mlp = tiny.arch.dit.mlp
        val onBfl = FluxLoraTargets(bflModel)
        assertEquals(listOf(LoraTarget(ComponentKind.DIFFUSION_MODEL, "double_blocks.1.txt_attn.qkv.weight", RowSpan(0, hidden, hidden, hidden, 3 * hidden))),
            onBfl.targets("transformer.transformer_blocks.1.attn.add_k_proj"))
        assertEquals(listOf(LoraTarget(ComponentKind.DIFFUSION_MODEL, "single_blocks.0.linear1.weight", RowSpan(0, 3 * hidden, mlp, mlp, 3 * hidden + mlp))),
            onBfl.targets("lora_transformer_single_transformer_blocks_0_proj_mlp"))
        val whole = listOf(LoraTarget(ComponentKind.DIFFUSION_MODEL, "double_blocks.0.img_attn.qkv.weight"))
        for (key in listOf("lora_unet_double_blocks_0_img_attn_qkv", "diffusion_model.double_blocks.0.img_attn.qkv", "lora.model.diffusion_model.double_blocks.0.img_attn.qkv")) {
            assertEquals(whole, onBfl.targets(key), key)
        }
        assertEquals(listOf("to_q", "to_k", "to_v").mapIndexed { i, p ->
            LoraTarget(ComponentKind.DIFFUSION_MODEL, "transformer_blocks.0.attn.$p.weight", RowSpan(i * hidden, 0, hidden, 3 * hidden, hidden))
        }, FluxLoraTargets(diffusersModel).targets("lora_unet_double_blocks_0_img_attn_qkv"))
    }
}
