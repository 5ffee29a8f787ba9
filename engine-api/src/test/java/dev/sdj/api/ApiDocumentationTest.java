package dev.sdj.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** engine-api is what applications read: javadoc finds a comment on every public member. Surefire runs in the module's folder. */
class ApiDocumentationTest {

    @Test
    void everyPublicMemberHasAComment(@TempDir Path out) throws IOException {
        DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(Path.of("src/main/java/dev/sdj/api"))) {
            sources = files.filter(p -> p.toString().endsWith(".java")).toList();
        }
        assertTrue(sources.size() > 20, "engine-api's sources are not where this test looks: " + sources);
        try (StandardJavaFileManager files = javadoc.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            boolean ran = javadoc.getTask(null, files, diagnostics, null,
                    List.of("-Xdoclint:missing", "-quiet", "-Xmaxwarns", "10000", "-d", out.toString()),
                    files.getJavaFileObjectsFromPaths(sources)).call();
            assertTrue(ran, "javadoc failed: " + diagnostics.getDiagnostics());
        }
        List<String> undocumented = diagnostics.getDiagnostics().stream()
                .filter(d -> d.getMessage(Locale.ROOT).contains("no comment"))
                .map(ApiDocumentationTest::where).toList();
        assertEquals(List.of(), undocumented);
    }

    private static String where(Diagnostic<? extends JavaFileObject> d) {
        return d.getSource().getName().replaceAll(".*/", "") + ":" + d.getLineNumber();
    }
}
