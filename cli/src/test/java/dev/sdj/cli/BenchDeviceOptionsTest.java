package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.*;

class BenchDeviceOptionsTest {
    @Test
    void vaeConvRunsOnTwoCpuThreadsUnlessGivenAsAudioDoes() {
        BenchCommand.VaeConvolution defaults = new BenchCommand.VaeConvolution();
        new CommandLine(defaults).parseArgs();
        assertEquals("CPU", defaults.on.device);
        assertEquals(2, defaults.on.threads);
        BenchCommand.VaeConvolution given = new BenchCommand.VaeConvolution();
        new CommandLine(given).parseArgs("--threads", "1", "--device", "Vulkan0", "--latent", "8");
        assertEquals("Vulkan0", given.on.device);
        assertEquals(1, given.on.threads);
    }

    @Test
    void loadAndUploadMeasureTheNamedDevicesElseAll() {
        BenchCommand.Load all = new BenchCommand.Load();
        new CommandLine(all).parseArgs();
        assertTrue(all.devices.includes("CPU") && all.devices.includes("Vulkan0"));
        BenchCommand.Upload named = new BenchCommand.Upload();
        new CommandLine(named).parseArgs("--device", "Vulkan0", "--device", "Vulkan1");
        assertTrue(named.devices.includes("Vulkan1"));
        assertFalse(named.devices.includes("CPU"));
    }
}
