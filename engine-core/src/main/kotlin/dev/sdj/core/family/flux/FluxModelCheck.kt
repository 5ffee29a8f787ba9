package dev.sdj.core.family.flux

import dev.sdj.api.ModelFileException
import dev.sdj.core.family.sd.SdArchitectureReader
import dev.sdj.core.family.sd.SdModelCheck
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.TensorRef

/**
 * Checks at open that a Flux model holds every tensor its graphs read, each with the shape the others imply, so that a
 * damaged or mismatched file is an error naming the tensor and the file instead of a ggml abort. The architecture is
 * read from a few anchor tensors (widths, head size, block and layer counts); the expected tensors are then
 * [FluxTensorLayout]'s for it, and the components must agree with each other (T5's width is the DiT's context width,
 * CLIP-L's its vector width, the autoencoder's latent channels its patch channels). A DiT in diffusers' names is checked
 * as strictly: its expected tensors are the BFL ones as [DiffusersFluxNames] splits and renames them.
 */
object FluxModelCheck {
    fun check(model: AssembledModel) {
        val dit = model.components.getValue(ComponentKind.DIFFUSION_MODEL)
        val clip = model.components.getValue(ComponentKind.TEXT_ENCODER)
        val t5 = model.components.getValue(ComponentKind.TEXT_ENCODER_2)
        val vae = model.components.getValue(ComponentKind.VAE)
        val names = DitNames.of(dit)
        val sd = SdArchitectureReader(model)
        val arch = FluxArchitecture(readDit(dit, vae, names), readT5(t5), sd.clip(clip), sd.vae(vae))
        if (arch.clip.maxPositions < FluxPromptTokens.CLIP_CONTEXT) {
            throw mismatch(clip, "text_model.embeddings.position_embedding.weight",
                "${arch.clip.maxPositions} positions, fewer than a prompt's ${FluxPromptTokens.CLIP_CONTEXT} tokens")
        }
        val layout = FluxTensorLayout(arch).components
        val ditEntries = names.expected(layout.getValue(ComponentKind.DIFFUSION_MODEL), arch.dit.hidden)
        expect(dit, ditEntries)
        expect(clip, layout.getValue(ComponentKind.TEXT_ENCODER))
        expect(t5, layout.getValue(ComponentKind.TEXT_ENCODER_2))
        expect(vae, layout.getValue(ComponentKind.VAE).filter { it.name.startsWith("decoder.") })
        // The graphs walk blocks and layers while the next one exists: one outside the layout would be read unchecked.
        val ditNames = ditEntries.map { it.name }.toSet()
        unexpected(dit, dit.tensors.keys.filter { it !in ditNames && BLOCK.containsMatchIn(it) })
        val vaeNames = layout.getValue(ComponentKind.VAE).map { it.name }.toSet()
        unexpected(vae, vae.tensors.keys.filter { it.startsWith("decoder.") && it !in vaeNames })
        // Only image-to-image reads the encoder, so a decoder-only file is fine; an encoder that is there must be whole.
        if (vae.tensors.keys.any { it.startsWith(ENCODER) }) {
            expect(vae, layout.getValue(ComponentKind.VAE).filter { it.name.startsWith(ENCODER) })
            unexpected(vae, vae.tensors.keys.filter { it.startsWith(ENCODER) && it !in vaeNames })
        }
        val headDim = arch.dit.headDim
        if (headDim % 16 != 0 || arch.dit.hidden % headDim != 0) {
            val ref = ref(dit, names(QUERY_NORM))
            throw ModelFileException(ref.file.path, ref.info.name, "a head size of $headDim does not split into Flux's three " +
                "RoPE axes, or the width ${arch.dit.hidden} into heads of it")
        }
        if (arch.vae.channelMult.size != VAE_LEVELS) {
            val ref = ref(vae, "decoder.conv_out.weight")
            throw ModelFileException(ref.file.path, null, "the autoencoder's decoder has ${arch.vae.channelMult.size} resolution " +
                "levels; Flux's latents need $VAE_LEVELS (an 8× upscale)")
        }
        if (arch.vae.channels % GROUPS != 0) {
            val ref = ref(vae, "decoder.conv_out.weight")
            throw ModelFileException(ref.file.path, null, "the decoder's ${arch.vae.channels} channels do not split into $GROUPS normalisation groups")
        }
    }

    private val BLOCK = Regex("""^(double_blocks|single_blocks|transformer_blocks|single_transformer_blocks)\.""")
    private const val QUERY_NORM = "double_blocks.0.img_attn.norm.query_norm.scale"
    private const val VAE_LEVELS = 4
    private const val ENCODER = "encoder."
    private const val GROUPS = 32

    /** The names a DiT's tensors are looked up by: BFL's as the layout gives them, or diffusers' for them. */
    private enum class DitNames(val rename: (String) -> String) {
        BFL({ it }),
        DIFFUSERS(DiffusersFluxNames::first);

        operator fun invoke(bfl: String): String = rename(bfl)

        fun expected(bfl: List<FluxTensorLayout.Entry>, hidden: Int): List<FluxTensorLayout.Entry> =
            if (this == BFL) bfl else DiffusersFluxNames(hidden.toLong()).parts(bfl).map { FluxTensorLayout.Entry(it.name, it.torchShape) }

        companion object {
            fun of(dit: Component): DitNames = if ("x_embedder.weight" in dit.tensors) DIFFUSERS else BFL
        }
    }

    private fun readDit(dit: Component, vae: Component, n: DitNames): FluxArchitecture.Dit {
        val imgIn = shape(dit, n("img_in.weight"))
        val latentChannels = shape(vae, "decoder.conv_in.weight")[1].toInt()
        val hidden = imgIn[0].toInt()
        if (imgIn[1] != 4L * latentChannels) {
            val ref = ref(dit, n("img_in.weight"))
            throw ModelFileException(ref.file.path, ref.info.name, "the DiT reads ${imgIn[1]} values per 2×2 patch, but the " +
                "autoencoder's latent has $latentChannels channels (${4 * latentChannels} per patch): the files do not belong together")
        }
        val mlpName = n("double_blocks.0.img_mlp.0.weight")
        val mlp = shape(dit, mlpName)[0].toInt()
        return FluxArchitecture.Dit(
            hidden = hidden,
            headDim = shape(dit, n(QUERY_NORM))[0].toInt(),
            doubleBlocks = count(dit) { n("double_blocks.$it.img_attn.qkv.weight") },
            singleBlocks = count(dit) { n("single_blocks.$it.linear1.weight") },
            guidance = n("guidance_in.in_layer.weight") in dit.tensors,
            mlpRatio = if (mlp % hidden == 0) mlp / hidden else throw mismatch(dit, mlpName, "an MLP width $mlp that is no multiple of the width $hidden"),
            latentChannels = latentChannels,
        )
    }

    private fun readT5(t5: Component): FluxArchitecture.T5 {
        val shared = shape(t5, "shared.weight")
        val bias = shape(t5, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight")
        val inner = shape(t5, "encoder.block.0.layer.0.SelfAttention.q.weight")[0].toInt()
        val heads = bias[1].toInt()
        if (inner % heads != 0) throw mismatch(t5, "encoder.block.0.layer.0.SelfAttention.q.weight", "$inner projections for $heads heads")
        return FluxArchitecture.T5(
            vocabSize = shared[0].toInt(), dModel = shared[1].toInt(), heads = heads, dKv = inner / heads,
            ff = shape(t5, "encoder.block.0.layer.1.DenseReluDense.wi_0.weight")[0].toInt(),
            layers = count(t5) { "encoder.block.$it.layer.0.SelfAttention.q.weight" }, buckets = bias[0].toInt(),
        )
    }

    /** [name]'s PyTorch shape. */
    private fun shape(component: Component, name: String): List<Long> = ref(component, name).shape.reversed()

    private fun ref(component: Component, name: String): TensorRef = component.tensors[name] ?: throw missing(component, name)

    private fun count(component: Component, name: (Int) -> String): Int =
        generateSequence(0) { it + 1 }.takeWhile { name(it) in component.tensors }.count().also { if (it == 0) throw missing(component, name(0)) }

    private fun expect(component: Component, entries: List<FluxTensorLayout.Entry>) {
        for (entry in entries) {
            val ref = component.tensors[entry.name] ?: throw missing(component, entry.name)
            val expected = entry.torchShape.reversed()
            if (ref.shape != expected) {
                throw ModelFileException(ref.file.path, ref.info.name, "shape ${torch(ref.shape)} where the model's other tensors " +
                    "make the ${component.kind.label} read ${torch(expected)}")
            }
            if (!ref.type.isFloat && !ref.type.isQuantized) {
                throw ModelFileException(ref.file.path, ref.info.name, "stored as ${ref.type}: parameters must be floating point")
            }
        }
    }

    private fun unexpected(component: Component, names: List<String>) {
        val name = names.firstOrNull() ?: return
        val ref = component.tensors.getValue(name)
        throw ModelFileException(ref.file.path, ref.info.name, "not part of the Flux ${component.kind.label} its other tensors " +
            "describe (${names.size} such tensor${if (names.size > 1) "s" else ""})")
    }

    private fun missing(component: Component, name: String): ModelFileException = SdModelCheck.missing(component, name)

    private fun mismatch(component: Component, name: String, what: String): ModelFileException {
        val ref = ref(component, name)
        return ModelFileException(ref.file.path, ref.info.name, what)
    }

    private fun torch(ggml: List<Long>) = ggml.reversed().joinToString(", ", "[", "]")
}
