package dev.sdj.vulkan;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.vulkan.VK;
import org.lwjgl.vulkan.VkApplicationInfo;
import org.lwjgl.vulkan.VkExtensionProperties;
import org.lwjgl.vulkan.VkInstance;
import org.lwjgl.vulkan.VkInstanceCreateInfo;
import org.lwjgl.vulkan.VkMemoryHeap;
import org.lwjgl.vulkan.VkPhysicalDevice;
import org.lwjgl.vulkan.VkPhysicalDeviceDriverProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryBudgetPropertiesEXT;
import org.lwjgl.vulkan.VkPhysicalDeviceMemoryProperties2;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties;
import org.lwjgl.vulkan.VkPhysicalDeviceProperties2;

import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import static org.lwjgl.vulkan.EXTMemoryBudget.VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
import static org.lwjgl.vulkan.EXTMemoryBudget.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
import static org.lwjgl.vulkan.VK10.*;
import static org.lwjgl.vulkan.VK11.*;
import static org.lwjgl.vulkan.VK12.VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;

/**
 * Asks the system Vulkan loader ({@code libvulkan.so.1}) for every physical device and its memory. Read-only: it
 * creates an instance, reads properties and destroys the instance; no device is opened.
 */
public final class VulkanProbe {
    private VulkanProbe() {
    }

    public static VulkanReport probe() {
        try {
            loadLoader();
        } catch (Throwable t) {
            return VulkanReport.unavailable("no Vulkan loader (" + firstLine(t)
                    + "); install libvulkan1 and a driver (Debian: apt-get install -y libvulkan1 mesa-vulkan-drivers)");
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkApplicationInfo app = VkApplicationInfo.calloc(stack)
                    .sType$Default()
                    .pApplicationName(stack.UTF8("sdj-probe"))
                    .apiVersion(VK_API_VERSION_1_1);
            VkInstanceCreateInfo info = VkInstanceCreateInfo.calloc(stack).sType$Default().pApplicationInfo(app);
            PointerBuffer pInstance = stack.mallocPointer(1);
            int rc = vkCreateInstance(info, null, pInstance);
            if (rc != VK_SUCCESS) {
                return VulkanReport.unavailable("vkCreateInstance failed with VkResult " + rc
                        + " (no Vulkan driver installed? Debian: apt-get install -y mesa-vulkan-drivers)");
            }
            VkInstance instance = new VkInstance(pInstance.get(0), info);
            try {
                return VulkanReport.available(devices(instance, stack));
            } finally {
                vkDestroyInstance(instance, null);
            }
        } catch (Throwable t) {
            return VulkanReport.unavailable("Vulkan probe failed: " + firstLine(t));
        }
    }

    /** LWJGL may already have loaded the loader on class initialisation; loading it twice is an error. */
    private static synchronized void loadLoader() {
        try {
            VK.getFunctionProvider();
        } catch (IllegalStateException notYetCreated) {
            VK.create();
        }
    }

    private static List<VulkanDevice> devices(VkInstance instance, MemoryStack stack) {
        IntBuffer count = stack.mallocInt(1);
        check(vkEnumeratePhysicalDevices(instance, count, null), "vkEnumeratePhysicalDevices");
        PointerBuffer handles = stack.mallocPointer(count.get(0));
        check(vkEnumeratePhysicalDevices(instance, count, handles), "vkEnumeratePhysicalDevices");
        List<VulkanDevice> out = new ArrayList<>();
        for (int i = 0; i < count.get(0); i++) {
            out.add(describe(i, new VkPhysicalDevice(handles.get(i), instance)));
        }
        return out;
    }

    private static VulkanDevice describe(int index, VkPhysicalDevice device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            VkPhysicalDeviceProperties props = VkPhysicalDeviceProperties.calloc(stack);
            vkGetPhysicalDeviceProperties(device, props);
            int api = props.apiVersion();
            String apiVersion = VK_API_VERSION_MAJOR(api) + "." + VK_API_VERSION_MINOR(api) + "." + VK_API_VERSION_PATCH(api);

            Optional<String> driverName = Optional.empty();
            Optional<String> driverInfo = Optional.empty();
            if (VK_API_VERSION_MINOR(api) >= 2 || VK_API_VERSION_MAJOR(api) > 1) {
                VkPhysicalDeviceDriverProperties driver = VkPhysicalDeviceDriverProperties.calloc(stack)
                        .sType(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES);
                VkPhysicalDeviceProperties2 props2 = VkPhysicalDeviceProperties2.calloc(stack).sType$Default().pNext(driver);
                vkGetPhysicalDeviceProperties2(device, props2);
                driverName = Optional.of(driver.driverNameString());
                driverInfo = Optional.of(driver.driverInfoString());
            }

            boolean budget = hasExtension(device, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME, stack);
            VkPhysicalDeviceMemoryBudgetPropertiesEXT budgetProps = VkPhysicalDeviceMemoryBudgetPropertiesEXT.calloc(stack)
                    .sType(VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT);
            VkPhysicalDeviceMemoryProperties2 mem = VkPhysicalDeviceMemoryProperties2.calloc(stack).sType$Default();
            if (budget) {
                mem.pNext(budgetProps);
            }
            vkGetPhysicalDeviceMemoryProperties2(device, mem);
            List<MemoryHeap> heaps = new ArrayList<>();
            for (int h = 0; h < mem.memoryProperties().memoryHeapCount(); h++) {
                VkMemoryHeap heap = mem.memoryProperties().memoryHeaps(h);
                boolean local = (heap.flags() & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0;
                heaps.add(new MemoryHeap(h, heap.size(), local,
                        budget ? OptionalLong.of(budgetProps.heapBudget(h)) : OptionalLong.empty(),
                        budget ? OptionalLong.of(budgetProps.heapUsage(h)) : OptionalLong.empty()));
            }
            return new VulkanDevice(index, props.deviceNameString(), VulkanDeviceType.of(props.deviceType()),
                    props.vendorID(), props.deviceID(), apiVersion, driverName, driverInfo, budget, List.copyOf(heaps));
        }
    }

    private static boolean hasExtension(VkPhysicalDevice device, String name, MemoryStack stack) {
        IntBuffer count = stack.mallocInt(1);
        check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, null), "vkEnumerateDeviceExtensionProperties");
        VkExtensionProperties.Buffer exts = VkExtensionProperties.malloc(count.get(0), stack);
        check(vkEnumerateDeviceExtensionProperties(device, (String) null, count, exts), "vkEnumerateDeviceExtensionProperties");
        for (VkExtensionProperties e : exts) {
            if (name.equals(e.extensionNameString())) {
                return true;
            }
        }
        return false;
    }

    private static void check(int rc, String what) {
        if (rc != VK_SUCCESS && rc != VK_INCOMPLETE) {
            throw new IllegalStateException(what + " failed with VkResult " + rc);
        }
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
