package dev.sdj.core.memory

/**
 * A change to some parameter tensors made as they are loaded into a device copy (a LoRA merged into its weights), so
 * the graphs read the changed weights at no extra compute while the model file — the master copy — stays as it is.
 */
interface WeightPatch {
    /** The tensors it changes, by parameter name. */
    val names: Set<String>

    /** What it is: two patches with equal keys change the same tensors alike, so a device copy made with one serves the other. */
    val key: String

    /**
     * Changes [values] of tensor [name]: its elements as the device holds them without the patch, decoded to f32, in
     * the file's (row-major) order.
     */
    fun apply(name: String, values: FloatArray)
}
