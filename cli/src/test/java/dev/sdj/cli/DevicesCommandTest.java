package dev.sdj.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;


import static org.junit.jupiter.api.Assertions.*;

class DevicesCommandTest {

    private static String[] run(String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(0, r.code(), "exit code; stderr: " + r.err());
        return new String[]{r.out(), r.err()};
    }

    @Test
    void jsonListsCpuAndLavapipeWithMemoryFiguresAndSources() throws Exception {
        JsonNode root = new ObjectMapper().readTree(run("devices", "--json")[0]);
        assertTrue(root.get("ggml").asText().startsWith("0.25.1"));
        JsonNode cpu = null;
        JsonNode lavapipe = null;
        for (JsonNode d : root.get("devices")) {
            if (d.get("backend").asText().equals("CPU")) {
                cpu = d;
            }
            if (d.get("backend").asText().equals("Vulkan") && d.get("description").asText().startsWith("llvmpipe")) {
                lavapipe = d;
            }
        }
        assertNotNull(cpu, "no CPU device in " + root);
        assertNotNull(lavapipe, "no lavapipe device in " + root + " (is GGML_VK_VISIBLE_DEVICES=0 set?)");
        for (JsonNode d : new JsonNode[]{cpu, lavapipe}) {
            for (String figure : new String[]{"total", "free", "budget"}) {
                JsonNode f = d.get("memory").get(figure);
                assertTrue(f.get("bytes").asLong() > 0, figure + " of " + d);
                assertFalse(f.get("source").asText().isBlank(), figure + " source of " + d);
            }
            assertFalse(d.get("memory").get("budgetReason").asText().isBlank());
        }
        assertEquals("cpu", lavapipe.get("vulkanType").asText());
        assertTrue(lavapipe.get("memory").get("budget").get("source").asText().contains("MemAvailable"),
                "lavapipe has no memory-budget extension, so its budget is capped by host memory: " + lavapipe);
        boolean cudaExplained = false;
        for (JsonNode u : root.get("unavailableBackends")) {
            cudaExplained |= u.get("name").asText().equals("CUDA") && !u.get("reason").asText().isBlank();
        }
        assertTrue(cudaExplained, "the Vulkan build has no CUDA backend and must say so: " + root);
        assertEquals("ok", root.get("vulkanProbe").asText());
    }

    @Test
    void tableNamesEveryDeviceAndTheBudgetReasons() {
        String out = run("devices")[0];
        assertTrue(out.contains("BACKEND") && out.contains("BUDGET SOURCE"), out);
        assertTrue(out.contains("CPU") && out.contains("Vulkan0"), out);
        assertTrue(out.contains("Vulkan0 budget:"), out);
        assertTrue(out.contains("Unavailable backends:") && out.contains("CUDA:"), out);
    }

    @Test
    void helpDocumentsTheJsonFlag() {
        String out = run("devices", "--help")[0];
        assertTrue(out.contains("--json"), out);
    }
}
