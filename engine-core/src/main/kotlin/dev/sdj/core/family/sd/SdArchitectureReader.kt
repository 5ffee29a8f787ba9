package dev.sdj.core.family.sd

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.AssembledModel
import dev.sdj.core.model.Component
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.ModelFamily
import dev.sdj.core.model.TensorRef

/**
 * The [SdArchitecture] an SD 1.x/2.x or SDXL model's tensors describe, read the way the graphs read it: blocks are
 * walked while the next one exists, widths come from the first tensors that carry them. The result only says what the
 * rest of the tensors should look like; [SdModelCheck] compares them. The UNet's cross-attention is expected to take
 * what the text encoders give (their widths added up), so a UNet made for other encoders shows as wrong shapes there.
 */
class SdArchitectureReader(private val model: AssembledModel) {

    fun architecture(): SdArchitecture {
        val clip = clip(component(ComponentKind.TEXT_ENCODER))
        val clip2 = if (model.family == ModelFamily.SDXL) clip2(component(ComponentKind.TEXT_ENCODER_2)) else null
        val context = clip.hidden + (clip2?.hidden ?: 0)
        return SdArchitecture(unet(component(ComponentKind.DIFFUSION_MODEL), context), vae(component(ComponentKind.VAE)), clip, clip2)
    }

    /** The component [kind], or an error saying the model lacks it. */
    fun component(kind: ComponentKind): Component = model.components[kind] ?: throw missingComponent(kind)

    private fun missingComponent(kind: ComponentKind): ModelFileException {
        val sdxl = if (model.family == ModelFamily.SDXL) {
            " (${model.family.label} conditions on two text encoders, CLIP-L and OpenCLIP bigG, and a VAE besides the UNet)"
        } else {
            ""
        }
        return ModelFileException(model.inputs.first().source, null, "no ${kind.label} among the inputs$sdxl; found " +
            model.components.keys.joinToString { it.label } + ": pass the checkpoint, or every component file")
    }

    /** The tensor [name] of [component], or an error naming it as missing. */
    fun ref(component: Component, name: String): TensorRef = component.tensors[name] ?: throw SdModelCheck.missing(component, name)

    /** The PyTorch-order dimensions of [name], which must have [rank] of them. */
    private fun dims(component: Component, name: String, rank: Int): List<Int> {
        val ref = ref(component, name)
        if (ref.shape.size != rank || ref.shape.any { it < 1 || it > Int.MAX_VALUE }) {
            throw ModelFileException(ref.file.path, ref.info.name, "shape ${ref.shape.reversed()} where a $rank-dimensional " +
                "tensor is expected")
        }
        return ref.shape.reversed().map { it.toInt() }
    }

    /** A CLIP text encoder in Hugging Face names (SD's, SDXL's and Flux's CLIP-L). */
    fun clip(c: Component): SdArchitecture.Clip {
        val (vocab, hidden) = dims(c, SdModelCheck.TOKEN_EMBEDDING, 2)
        val positions = dims(c, SdModelCheck.POSITION_EMBEDDING, 2)[0]
        val layers = generateSequence(0) { it + 1 }.takeWhile { "text_model.encoder.layers.$it.layer_norm1.weight" in c.tensors }.count()
        if (layers == 0) throw SdModelCheck.missing(c, "text_model.encoder.layers.0.layer_norm1.weight")
        val intermediate = dims(c, "text_model.encoder.layers.0.mlp.fc1.weight", 2)[0]
        return SdArchitecture.Clip(vocab, hidden, layers, positions, intermediate)
    }

    /** SDXL's bigG, whose projection is stored either way round ([SdTensorLayout.TEXT_PROJECTION]'s doc). */
    private fun clip2(c: Component): SdArchitecture.Clip {
        val projection = when {
            SdTensorLayout.TEXT_PROJECTION in c.tensors -> dims(c, SdTensorLayout.TEXT_PROJECTION, 2)[0]
            SdTensorLayout.OPEN_CLIP_PROJECTION in c.tensors -> dims(c, SdTensorLayout.OPEN_CLIP_PROJECTION, 2)[1]
            else -> throw SdModelCheck.missing(c, SdTensorLayout.TEXT_PROJECTION)
        }
        return clip(c).copy(projection = projection)
    }

    private fun unet(c: Component, contextDim: Int): SdArchitecture.Unet {
        val (modelChannels, inChannels) = dims(c, "input_blocks.0.0.weight", 4)
        if (inChannels != 4 && inChannels != SdInpaintingUnet.IN_CHANNELS) {
            val ref = ref(c, "input_blocks.0.0.weight")
            throw ModelFileException(ref.file.path, ref.info.name, "the UNet's first convolution reads $inChannels channels; SD UNets " +
                "read 4 (the latent) or, inpainting checkpoints, ${SdInpaintingUnet.IN_CHANNELS} (the latent, the mask and the masked image's latent)")
        }
        // Input blocks after the first: residual layers, with a downsampling block between resolution levels.
        val levels = arrayListOf(ArrayList<Int>())
        var i = 1
        while (true) {
            when {
                "input_blocks.$i.0.op.weight" in c.tensors -> levels.add(ArrayList())
                "input_blocks.$i.0.in_layers.0.weight" in c.tensors -> levels.last().add(i)
                else -> break
            }
            i++
        }
        if (levels.any { it.isEmpty() }) throw SdModelCheck.missing(c, "input_blocks.$i.0.in_layers.0.weight")
        val mult = levels.map { level ->
            multiplier(c, "input_blocks.${level[0]}.0.in_layers.2.weight", modelChannels, "the UNet's")
        }
        val attention = levels.indices.filter { "input_blocks.${levels[it][0]}.1.norm.weight" in c.tensors }.toSet()
        // SD 1.x/2.x have one transformer block everywhere: a second one there is damage, not a deeper model.
        val sdxl = model.family == ModelFamily.SDXL
        val depths = if (sdxl) attention.associateWith { depth(c, "input_blocks.${levels[it][0]}.1") } else emptyMap()
        val projIn = c.tensors.entries.firstOrNull { it.key.endsWith(".proj_in.weight") }?.value
        val adm = if (ADM_IN in c.tensors) dims(c, ADM_IN, 2)[1] else null
        return SdArchitecture.Unet(inChannels = inChannels, modelChannels = modelChannels, channelMult = mult, resBlocksPerLevel = levels[0].size,
            attentionLevels = attention, transformerDepths = depths, middleDepth = if (sdxl) depth(c, "middle_block.1") else 1,
            contextDim = contextDim, linearProjection = projIn?.shape?.size == 2, admInChannels = adm)
    }

    /** Transformer blocks under [prefix]; at least one, so that a missing first block is reported as missing. */
    private fun depth(c: Component, prefix: String): Int =
        generateSequence(0) { it + 1 }.takeWhile { "$prefix.transformer_blocks.$it.norm1.weight" in c.tensors }.count().coerceAtLeast(1)

    /** A KL autoencoder's decoder in LDM names (SD's 4 latent channels, Flux's 16). */
    fun vae(c: Component): SdArchitecture.Vae {
        val channels = dims(c, "decoder.conv_out.weight", 4)[1]
        val levels = generateSequence(0) { it + 1 }.takeWhile { "decoder.up.$it.block.0.conv1.weight" in c.tensors }.count()
        if (levels == 0) throw SdModelCheck.missing(c, "decoder.up.0.block.0.conv1.weight")
        val blocks = generateSequence(0) { it + 1 }.takeWhile { "decoder.up.0.block.$it.conv1.weight" in c.tensors }.count()
        val mult = (0 until levels).map { level ->
            multiplier(c, "decoder.up.$level.block.0.conv2.weight", channels, "the VAE decoder's")
        }
        return SdArchitecture.Vae(channels = channels, channelMult = mult, resBlocksPerLevel = blocks - 1,
            latentChannels = dims(c, "decoder.conv_in.weight", 4)[1])
    }

    /** A level's channel multiplier: the output channels of the convolution [name] over [base]. */
    private fun multiplier(c: Component, name: String, base: Int, of: String): Int {
        val out = dims(c, name, 4)[0]
        if (out % base != 0) {
            val ref = ref(c, name)
            throw ModelFileException(ref.file.path, ref.info.name, "$out output channels, not a multiple of $of $base base channels")
        }
        return out / base
    }

    companion object {
        /** SDXL's added-condition embedding, whose input width is the pooled text embedding plus the size conditions. */
        const val ADM_IN = "label_emb.0.0.weight"
    }
}
