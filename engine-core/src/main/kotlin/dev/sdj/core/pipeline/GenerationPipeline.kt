package dev.sdj.core.pipeline

import dev.sdj.api.GenerationRequest
import dev.sdj.core.graph.GraphKey
import dev.sdj.core.lora.LoraTargets
import dev.sdj.core.memory.BlockStructure
import dev.sdj.core.memory.ParamSpec
import dev.sdj.core.model.ComponentKind

/**
 * A family's generation described as data the engine runs: its phases in order, and the components that may be
 * streamed block by block. Placement, residency, streaming and tuning are the engine's and apply to every family
 * alike; a family only says what it computes and over which weights.
 */
interface GenerationPipeline {
    /** In the order they run; the last one's result is the image. */
    val phases: List<Phase>

    /**
     * The components whose phase's graph can be cut at block boundaries and streamed (the diffusion model; a text
     * encoder larger than the cards it runs on), at most one per phase; the others load whole.
     */
    val streamables: List<Streamable>

    /** The phase that runs the diffusion model; those before it condition it, and sequential placement frees them first. */
    val denoiserPhase: Int

    /** The components the phases read, in their first use's order. */
    val components: List<ComponentKind> get() = phases.flatMap { it.components }.distinct()

    /** Everything of a request the phases' graphs depend on (sizes, prompt length, tiling): equal keys, equal costs. */
    fun shapeKey(request: GenerationRequest): String

    /**
     * What the family cannot do yet, when its pipeline is not whole (LTX-2's conditioning without its DiT): the engine
     * plans it and runs its phases for the conditioning alone, and refuses to generate with this text. Null: it generates.
     */
    val unfinished: String? get() = null

    /**
     * The VAE tile size in pixels the planner decodes in when a request that does not tile (`vaeTileSize` 0) fits no
     * placement with its whole decode; null: tiling stays the user's choice. Tiling changes pixels, so the plan's
     * reason and tile size say so. A video family sets it: its whole decode grows with every frame, so that only a
     * tiled one fits most devices; an image family leaves it null, its whole decode being the reference.
     */
    val plannerVaeTile: Int? get() = null

    /**
     * Whether the diffusion model can evaluate classifier-free guidance's prompt and negative prompt as one batch of
     * two when the request asks ([GuidanceBatch]); false: two evaluations per step whatever the request says.
     */
    val batchesGuidance: Boolean get() = false

    /** The last phase's result as the decoded image [W, H, 3] in ggml order, values around [-1, 1]. */
    fun image(result: Any): FloatArray

    /** The last phase's result as a decoded clip, when the family makes videos; null: [image] gives the output. */
    fun video(result: Any): DecodedVideo? = null

    /** The weights LoRA files may adapt, under the names the files give them; null: the family takes no LoRAs yet. */
    val loraTargets: LoraTargets? get() = null

    /**
     * Whether the family's graphs read every weight a LoRA adapts through [dev.sdj.core.graph.Nn.linear] and
     * [dev.sdj.core.graph.Nn.conv2d], which add LoRAs as low-rank graph ops; false: its LoRAs are always merged.
     */
    val takesLowRankLoras: Boolean get() = false

    /** Whether a request may start from an init image (image-to-image): a phase encodes it; false: such requests are refused. */
    val takesInitImage: Boolean get() = false

    /** Whether a request may bring an inpainting mask (repaint only where it is white); false: such requests are refused. */
    val takesMask: Boolean get() = false

    /** What the family adds to the image's A1111 parameters text, as "Key" to "value" (after the engine's own). */
    fun infotext(request: GenerationRequest): Map<String, String> = emptyMap()
}

/**
 * A streamable component as streaming sees it: the component, the phase and graph that run it, and how its
 * parameters divide into blocks in execution order (the graph must read them one after the other, each in one
 * stretch; it is the phase's only graph that reads the component).
 */
class Streamable(
    val component: ComponentKind,
    val phase: Int,
    val graph: GraphKey,
    val blocks: (List<ParamSpec>) -> BlockStructure,
    /** How often the graph runs in one generation of a request; null for the diffusion model (steps × evaluations per step). */
    val passes: ((GenerationRequest) -> Int)? = null,
)

/**
 * A video decoder's output: [frames] frames of [width] × [height] one after another, each interleaved RGB (ggml
 * `[3, W, H, T]`), nominally in [-1, 1], shown at [fps] frames a second, with its [sound] when the family makes any.
 * Its size is the family's (a video family may align the request's).
 */
class DecodedVideo(val values: FloatArray, val width: Int, val height: Int, val frames: Int, val fps: Int, val sound: DecodedSound? = null) {
    fun withSound(sound: DecodedSound): DecodedVideo = DecodedVideo(values, width, height, frames, fps, sound)
}

/**
 * A vocoder's output: [channels] waveforms of equal length one after another (ggml `[T, channels]`), nominally in
 * [-1, 1], [sampleRate] samples a second. The engine cuts or pads it to the clip's duration.
 */
class DecodedSound(val planar: FloatArray, val channels: Int, val sampleRate: Int) {
    init {
        require(channels >= 1 && planar.size % channels == 0) { "${planar.size} samples are not $channels equal channels" }
    }
}
