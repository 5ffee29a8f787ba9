package dev.sdj.vulkan;

/** VkPhysicalDeviceType, in words. */
public enum VulkanDeviceType {
    OTHER, INTEGRATED, DISCRETE, VIRTUAL, CPU;

    static VulkanDeviceType of(int vkType) {
        return switch (vkType) {
            case 1 -> INTEGRATED;
            case 2 -> DISCRETE;
            case 3 -> VIRTUAL;
            case 4 -> CPU;
            default -> OTHER;
        };
    }

    public String word() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
