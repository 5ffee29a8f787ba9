package dev.sdj.ggml;

/** Whatever holds a tensor's data; the tensor may be read or written only while it is open. */
interface TensorStorage {
    boolean isOpen();

    String describe();
}
