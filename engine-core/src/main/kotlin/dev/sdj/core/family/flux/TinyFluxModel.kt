package dev.sdj.core.family.flux

import dev.sdj.core.family.RandomTensorBytes
import dev.sdj.core.model.ComponentKind
import dev.sdj.core.model.DType
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TensorData
import dev.sdj.core.model.gguf.GgufWriter
import dev.sdj.core.model.safetensors.SafetensorsWriter
import java.nio.ByteBuffer
import java.nio.file.Files
import java.nio.file.Path

/**
 * A Flux.1 model with random weights and the real tensor names, in the layouts people download: ComfyUI's all-in-one
 * checkpoint, the separate files stable-diffusion.cpp's Flux guide names (the DiT as safetensors or GGUF,
 * clip_l.safetensors, t5xxl.safetensors, ae.safetensors), or Hugging Face's diffusers folder. Every layout holds the same values for the same tensor.
 * Tensors are generated as a writer reaches them, so a full-size model is written in the memory of its largest one.
 *
 * @param typeOf storage type per component and tensor name (as [FluxTensorLayout] names it)
 * @param sampledBlocks large quantized tensors from sampled blocks ([RandomTensorBytes]), for full-size benchmarks
 */
class TinyFluxModel(
    val arch: FluxArchitecture = FluxArchitecture.DEV_TINY,
    seed: Long = 1,
    sampledBlocks: Boolean = false,
    private val typeOf: (ComponentKind, String) -> DType = { _, _ -> DType.F16 },
) {
    private val layout = FluxTensorLayout(arch)
    private val random = RandomTensorBytes(seed, sampledBlocks = sampledBlocks)

    val components: Map<ComponentKind, List<FluxTensorLayout.Entry>> get() = layout.components

    fun bytes(kind: ComponentKind, entry: FluxTensorLayout.Entry): ByteBuffer =
        random.bytes(kind.name + ":" + entry.name, typeOf(kind, entry.name), entry.torchShape, entry.isNormScale)

    private fun write(path: Path, kinds: List<ComponentKind>, prefix: (ComponentKind) -> String): Path {
        val gguf = path.fileName.toString().endsWith(".gguf")
        val st = SafetensorsWriter()
        val gw = GgufWriter()
        if (gguf) gw.put("general.architecture", "flux") else st.metadata("generator", "sdj random Flux model")
        for (kind in kinds) {
            for (e in components.getValue(kind)) {
                val data = TensorData { out -> TensorData.of(bytes(kind, e)).writeTo(out) }
                val name = prefix(kind) + e.name
                val shape = e.torchShape.reversed()
                if (gguf) gw.addTensor(name, typeOf(kind, e.name), shape, data) else st.addTensor(name, typeOf(kind, e.name), shape, data)
            }
        }
        Files.createDirectories(path.toAbsolutePath().parent)
        if (gguf) gw.write(path) else st.write(path)
        return path
    }

    /** ComfyUI's all-in-one checkpoint: every component under its prefix. */
    fun writeSingleFile(path: Path): Path = write(path, components.keys.toList()) { SINGLE_FILE_PREFIXES.getValue(it) }

    /** The DiT alone with Black Forest Labs' bare names (flux1-dev.safetensors, the community GGUFs). */
    fun writeDiffusionModel(path: Path): Path = writeComponent(ComponentKind.DIFFUSION_MODEL, path)

    /**
     * One component alone with its bare names, as safetensors or GGUF by [path]'s extension (a GGUF for a component
     * stored quantized, e.g. T5-XXL as the community's Q8_0 files).
     */
    fun writeComponent(kind: ComponentKind, path: Path): Path = write(path, listOf(kind)) { "" }

    /**
     * The DiT as [ditFile] (safetensors or GGUF by its extension) and the other components as the files users
     * download beside it; returns them all.
     */
    fun writeSplitFiles(dir: Path, ditFile: String = "flux1-tiny.safetensors"): List<Path> =
        listOf(writeDiffusionModel(dir.resolve(ditFile))) +
            SPLIT_FILES.map { (kind, file) -> writeComponent(kind, dir.resolve(file)) }

    /**
     * The model as a diffusers folder, as Hugging Face publishes FLUX.1-dev and schnell; with [clipTokenizer] (tokens,
     * merges) a tokenizer/ folder in vocab.json + merges.txt, with [t5TokenizerJson] a tokenizer_2/ holding that file.
     */
    @JvmOverloads
    fun writeDiffusersFolder(dir: Path, clipTokenizer: Pair<List<String>, List<String>>? = null, t5TokenizerJson: Path? = null): Path =
        FluxDiffusersFolderWriter(this, typeOf).write(dir, clipTokenizer, t5TokenizerJson)

    companion object {
        val SINGLE_FILE_PREFIXES = mapOf(
            ComponentKind.DIFFUSION_MODEL to "model.diffusion_model.",
            ComponentKind.TEXT_ENCODER to "text_encoders.clip_l.transformer.",
            ComponentKind.TEXT_ENCODER_2 to "text_encoders.t5xxl.transformer.",
            ComponentKind.VAE to "vae.",
        )

        private val SPLIT_FILES = listOf(
            ComponentKind.TEXT_ENCODER to "clip_l.safetensors",
            ComponentKind.TEXT_ENCODER_2 to "t5xxl.safetensors",
            ComponentKind.VAE to "ae.safetensors",
        )

        /**
         * The model with its DiT as the community GGUFs hold it: tensors stable-diffusion.cpp's rule converts in
         * [target], the rest in f16; the other components stay f16.
         */
        fun quantizedDit(target: DType, arch: FluxArchitecture = FluxArchitecture.DEV_TINY, seed: Long = 1): TinyFluxModel =
            quantized(mapOf(ComponentKind.DIFFUSION_MODEL to target), arch, seed, sampledBlocks = false)

        /**
         * The model with each component in [targets] quantized by stable-diffusion.cpp's rule (the tensors it converts
         * in that component's type, the rest in f16), as `sd -M convert --type` would write it; other components f16.
         * Names are judged with the all-in-one checkpoint's prefixes, as sd.cpp sees them.
         */
        fun quantized(targets: Map<ComponentKind, DType>, arch: FluxArchitecture, seed: Long, sampledBlocks: Boolean): TinyFluxModel {
            val shapes = FluxTensorLayout(arch).components.mapValues { (_, entries) -> entries.associate { it.name to it.torchShape.reversed() } }
            return TinyFluxModel(arch, seed, sampledBlocks) { kind, name ->
                val target = targets[kind]
                if (target != null) {
                    SdCppTypeRule.typeFor(SINGLE_FILE_PREFIXES.getValue(kind) + name, shapes.getValue(kind).getValue(name), DType.F16, target)
                } else {
                    DType.F16
                }
            }
        }
    }
}
