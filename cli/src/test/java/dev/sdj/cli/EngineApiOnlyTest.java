package dev.sdj.cli;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The command line is an engine-api application like any other: it names nothing of the engine's internals, so that
 * everything it does an embedding application can do too. Surefire runs in the module's folder.
 */
class EngineApiOnlyTest {
    private static final Pattern INTERNAL = Pattern.compile("\\bdev\\.sdj\\.(core|ggml|vulkan)\\b");
    /** String and character literals and comments: a logger's name may spell a package without using it. */
    private static final Pattern LITERALS_AND_COMMENTS = Pattern.compile("\"(?:\\\\.|[^\"\\\\])*\"|'(?:\\\\.|[^'\\\\])*'|//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);

    @Test
    void theCommandLinesSourcesNameNoEnginePackageButTheApi() throws IOException {
        List<String> uses = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            sources = files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(sources.size() > 10, "the command line's sources are not where this test looks: " + sources);
        for (Path source : sources) {
            String code = LITERALS_AND_COMMENTS.matcher(Files.readString(source)).replaceAll(m -> blankedKeepingLines(m.group()));
            String[] lines = code.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = INTERNAL.matcher(lines[i]);
                if (m.find()) {
                    uses.add(source + ":" + (i + 1) + ": " + lines[i].strip());
                }
            }
        }
        assertEquals(List.of(), uses, "the command line must use engine-api only (dev.sdj.api)");
    }

    @Test
    void theEngineIsARuntimeDependencyOnlySoCompilingAgainstItFails() throws Exception {
        NodeList dependencies = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile())
                .getElementsByTagName("dependency");
        Map<String, String> sdjScopes = new LinkedHashMap<>();
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element d = (Element) dependencies.item(i);
            if (text(d, "groupId").equals("dev.sdj")) {
                String scope = text(d, "scope");
                sdjScopes.put(text(d, "artifactId"), scope.isEmpty() ? "compile" : scope);
            }
        }
        assertEquals(Map.of("engine-api", "compile", "engine-core", "runtime"), sdjScopes);
    }

    private static String text(Element parent, String tag) {
        NodeList n = parent.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().strip();
    }

    private static String blankedKeepingLines(String literal) {
        return Matcher.quoteReplacement(literal.replaceAll("[^\\n]", " "));
    }
}
