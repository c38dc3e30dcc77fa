package org.dlm.ir.pass;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every {@code src/test/resources/passes/*.ir}: the file's graph goes through the passes
 * named on its {@code // RUN:} line (verified after each), and the printed result must satisfy
 * the file's {@code // CHECK} lines. A new pass test is a new file.
 */
class PassFileTest {
    private static final Map<String, Supplier<Pass>> PASSES = Map.of(ConstantFolding.NAME, ConstantFolding::new);

    @TestFactory Stream<DynamicTest> passFiles() throws IOException, URISyntaxException {
        Path dir = Path.of(PassFileTest.class.getResource("/passes").toURI());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".ir")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no pass test files in " + dir);
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> runFile(f)));
    }

    private static void runFile(Path f) throws IOException {
        PassTestFile.run(f.getFileName().toString(), Files.readString(f), PASSES);
    }

    @org.junit.jupiter.api.Test void reportsBadTestFiles() {
        var e = assertThrows(IllegalArgumentException.class, () -> PassTestFile.run("x.ir", "graph G() { return }", PASSES));
        assertEquals("x.ir: no '// RUN: pass, ...' line", e.getMessage());
        var u = assertThrows(IllegalArgumentException.class, () -> PassTestFile.run("x.ir", "// RUN: cse\ngraph G() { return }", PASSES));
        assertEquals("x.ir: unknown pass 'cse'; known: constant-folding", u.getMessage());
        var c = assertThrows(org.dlm.ir.text.FileCheck.FileCheckException.class,
                () -> PassTestFile.run("x.ir", "// RUN: constant-folding\ngraph G() { return }\n// CHECK: const", PASSES));
        assertTrue(c.getMessage().startsWith("x.ir: check line 3: CHECK: 'const' not found"), c.getMessage());
    }
}
