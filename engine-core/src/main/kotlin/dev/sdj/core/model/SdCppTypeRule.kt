package dev.sdj.core.model

/**
 * Which tensors stable-diffusion.cpp stores in the requested type when it converts a model (`sd -M convert --type T`)
 * or quantizes one while loading (`--type T`): every tensor whose rows (dimension 0, ggml order) are whole blocks of
 * T, except biases, `.scale` tensors, embeddings, the UNet's time and label embeddings and a few input and output
 * layers of DiT families; those keep their stored type. Norm weights are not excepted: at q8_0 an SD 1.5 checkpoint
 * has 186 quantized 1-D norm scales beside its linear weights. Convolution kernels are kept only because their
 * rows (the kernel width) are never whole blocks.
 */
object SdCppTypeRule {
    private val keptSuffixes = listOf(".bias", ".scale")
    private val keptParts = listOf(
        "embedding", "time_embed.", "label_emb.",
        "img_in.", "txt_in.", "time_in.", "vector_in.", "guidance_in.", "final_layer.",
        "x_embedder.", "t_embedder.", "y_embedder.", "pos_embed", "context_embedder.",
    )

    /** Whether sd.cpp converts the tensor [name] (its full name in the file) of shape [ggmlShape] to [target]. */
    fun converts(name: String, ggmlShape: List<Long>, target: DType): Boolean =
        ggmlShape.isNotEmpty() && ggmlShape[0] % target.blockSize == 0L &&
            keptSuffixes.none { name.endsWith(it) } && keptParts.none { name.contains(it) }

    /** The type sd.cpp writes for a tensor stored as [stored]. */
    fun typeFor(name: String, ggmlShape: List<Long>, stored: DType, target: DType): DType =
        if (converts(name, ggmlShape, target)) target else stored
}
