package dev.sdj.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sdj.api.DeviceInfo;
import dev.sdj.api.DeviceReport;
import dev.sdj.api.MemoryFigure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Lists every device the engine can use, with total, free and usable memory and where each figure comes from.",
                "Also lists backends that could not be loaded and Vulkan devices ggml hides, each with the reason. CPU-type Vulkan devices (lavapipe) appear only with GGML_VK_VISIBLE_DEVICES set, e.g. GGML_VK_VISIBLE_DEVICES=0."})
final class DevicesCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print JSON for machines (schema: see README, 'devices --json').")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DeviceReport report = DeviceReport.current();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, toJson(report));
        } else {
            printTable(report, out);
        }
        return 0;
    }

    static ObjectNode toJson(DeviceReport report) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("ggml", report.ggmlVersion());
        root.put("natives", report.nativesOrigin());
        ArrayNode devices = root.putArray("devices");
        for (DeviceInfo d : report.devices()) {
            ObjectNode n = devices.addObject();
            n.put("backend", d.backend());
            n.put("name", d.name());
            n.put("description", d.description());
            n.put("type", d.type());
            n.put("vulkanType", d.vulkanType().orElse(null));
            n.put("driver", d.driver().orElse(null));
            ObjectNode memory = n.putObject("memory");
            figure(memory.putObject("total"), d.total());
            figure(memory.putObject("free"), d.free());
            figure(memory.putObject("budget"), d.budget());
            memory.put("budgetReason", d.budgetReason());
        }
        unavailable(root.putArray("unavailableBackends"), report.unavailableBackends());
        unavailable(root.putArray("hiddenVulkanDevices"), report.hiddenVulkanDevices());
        root.put("vulkanProbe", report.vulkanUnavailable().map(r -> "unavailable: " + r).orElse("ok"));
        return root;
    }

    private static void figure(ObjectNode node, MemoryFigure f) {
        node.put("bytes", f.bytes());
        node.put("source", f.source());
    }

    private static void unavailable(ArrayNode array, List<DeviceReport.Unavailable> items) {
        for (DeviceReport.Unavailable u : items) {
            array.addObject().put("name", u.name()).put("reason", u.reason());
        }
    }

    private static void printTable(DeviceReport report, PrintWriter out) {
        out.println("ggml " + report.ggmlVersion() + " — " + report.nativesOrigin());
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"BACKEND", "DEVICE", "TYPE", "TOTAL", "FREE", "BUDGET", "BUDGET SOURCE", "DESCRIPTION"});
        for (DeviceInfo d : report.devices()) {
            String type = d.type() + d.vulkanType().map(v -> " (vk " + v + ")").orElse("");
            rows.add(new String[]{d.backend(), d.name(), type, Bytes.human(d.total().bytes()) + " [" + d.total().source() + "]",
                    Bytes.human(d.free().bytes()), Bytes.human(d.budget().bytes()), d.budget().source(), d.description()});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + (width[i] + 2) + "s", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        out.println();
        for (DeviceInfo d : report.devices()) {
            out.println("  " + d.name() + " budget: " + d.budgetReason() + ".");
        }
        if (!report.unavailableBackends().isEmpty()) {
            out.println();
            out.println("Unavailable backends:");
            report.unavailableBackends().forEach(u -> out.println("  " + u.name() + ": " + u.reason()));
        }
        if (!report.hiddenVulkanDevices().isEmpty()) {
            out.println();
            out.println("Vulkan devices ggml does not use:");
            report.hiddenVulkanDevices().forEach(u -> out.println("  " + u.name() + ": " + u.reason()));
        }
        report.vulkanUnavailable().ifPresent(r -> {
            out.println();
            out.println("Vulkan unavailable: " + r);
        });
    }
}
