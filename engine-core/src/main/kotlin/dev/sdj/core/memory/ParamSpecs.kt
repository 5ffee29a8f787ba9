package dev.sdj.core.memory

import dev.sdj.api.ModelFileException
import dev.sdj.core.model.Component
import dev.sdj.core.model.DType
import dev.sdj.core.model.SdCppTypeRule
import dev.sdj.core.model.TensorRef
import dev.sdj.ggml.GgmlType

/** The device-side specs of a component's tensors, and the ones that cannot be parameters on a device at all. */
object ParamSpecs {

    /** A tensor whose stored type the device's ops do not take, so it is loaded as [to]. */
    data class Conversion(val name: String, val from: DType, val to: GgmlType)

    /**
     * @param unsupported tensors whose type cannot be a parameter at all (bool, unsigned integers)
     * @param refused tensors of a numeric type no op path on the device takes, with the file they come from
     * @param conversions quantized and bf16 tensors loaded in another type because the device's ops need it
     */
    data class Result(val specs: List<ParamSpec>, val unsupported: List<String>, val refused: List<TensorRef>,
                      val conversions: List<Conversion>) {

        /** The specs, or a [ModelFileException] naming the first tensor no op on the device can read. */
        fun usable(device: String): List<ParamSpec> {
            val first = refused.firstOrNull() ?: return specs
            throw ModelFileException(first.file.path, first.info.name,
                "${first.type} ${first.shape} cannot be read by any op on $device, not even dequantized")
        }

        /** Conversions counted by kind, e.g. "q8_0 → f32" to 186. */
        fun conversionCounts(): Map<String, Int> =
            conversions.groupingBy { "${it.from.ggml!!.ggmlName()} → ${it.to.ggmlName()}" }.eachCount().toSortedMap()
    }

    /**
     * ggml tensors have one to four dimensions; higher-rank weights (3-D convolution kernels) fold their outermost
     * dimensions into the fourth, which keeps the bytes and lets the model code reshape as it needs, and a 0-dim
     * scalar (LTX-2's timestep_scale_multiplier) becomes one value.
     */
    fun ggmlShape(shape: List<Long>): List<Long> = when {
        shape.isEmpty() -> listOf(1L)
        shape.size <= 4 -> shape
        else -> shape.take(3) + shape.drop(3).fold(1L) { a, b -> a * b }
    }

    /**
     * @param requested the type weights are quantized to while loading (sd.cpp's `--type`), where [SdCppTypeRule]
     *   converts them and their storage is f32, f16 or bf16; null keeps the stored types. The component's
     *   [Component.keptF32] tensors are f32 either way.
     */
    fun of(component: Component, support: TypeSupport, names: Collection<String> = component.tensors.keys,
           requested: DType? = null): Result {
        val specs = ArrayList<ParamSpec>()
        val unsupported = ArrayList<String>()
        val refused = ArrayList<TensorRef>()
        val conversions = ArrayList<Conversion>()
        for (name in names) {
            val ref: TensorRef = component.tensors.getValue(name)
            val shape = ggmlShape(ref.shape)
            val use = WeightUse.of(name, shape)
            val keptF32 = name in component.keptF32 && GgmlType.F32 in UploadType.candidates(ref.type, use)
            val quantize = !keptF32 && requested != null && use != WeightUse.VECTOR && ref.type in RequestedWeightType.QUANTIZABLE_SOURCES &&
                SdCppTypeRule.converts(name, shape, requested) && support.accepts(use, requested.ggml!!, shape)
            val type = when {
                keptF32 -> GgmlType.F32
                quantize -> requested!!.ggml
                else -> UploadType.of(ref.type, use, shape, support)
            }
            when {
                UploadType.candidates(ref.type, use).isEmpty() -> unsupported.add(name)
                type == null -> refused.add(ref)
                else -> {
                    specs.add(ParamSpec(name, type, shape))
                    if (!quantize && !keptF32 && (ref.type.isQuantized || ref.type == DType.BF16) && type != ref.type.ggml) conversions.add(Conversion(name, ref.type, type))
                }
            }
        }
        return Result(specs, unsupported, refused, conversions)
    }
}
