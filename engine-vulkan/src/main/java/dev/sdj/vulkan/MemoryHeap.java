package dev.sdj.vulkan;

import java.util.OptionalLong;

/**
 * One Vulkan memory heap. {@code budget} and {@code usage} are present only when the driver has
 * {@code VK_EXT_memory_budget}; without it the heap size is only an upper bound of what can be allocated.
 */
public record MemoryHeap(int index, long size, boolean deviceLocal, OptionalLong budget, OptionalLong usage) {
}
