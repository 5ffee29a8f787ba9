package dev.sdj.core.memory

import dev.sdj.core.model.Component
import dev.sdj.core.model.TensorRef

/** The device-side specs of a component's tensors, and the ones that cannot be parameters on a device at all. */
object ParamSpecs {

    data class Result(val specs: List<ParamSpec>, val unsupported: List<String>)

    /**
     * ggml tensors have at most four dimensions; higher-rank weights (3-D convolution kernels) fold their outermost
     * dimensions into the fourth, which keeps the bytes and lets the model code reshape as it needs.
     */
    fun ggmlShape(shape: List<Long>): List<Long> =
        if (shape.size <= 4) shape else shape.take(3) + shape.drop(3).fold(1L) { a, b -> a * b }

    fun of(component: Component, bf16Supported: Boolean, names: Collection<String> = component.tensors.keys): Result {
        val specs = ArrayList<ParamSpec>()
        val unsupported = ArrayList<String>()
        for (name in names) {
            val ref: TensorRef = component.tensors.getValue(name)
            val type = if (ref.shape.size == 1 && ref.type.isFloat) UploadType.vectorType else UploadType.of(ref.type, bf16Supported)
            if (type == null) unsupported.add(name) else specs.add(ParamSpec(name, type, ggmlShape(ref.shape)))
        }
        return Result(specs, unsupported)
    }
}
