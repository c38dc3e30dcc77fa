package org.dlm.ir.pass;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.dlm.ir.Graph;
import org.dlm.ir.text.FileCheck;
import org.dlm.ir.text.IrParser;
import org.dlm.ir.text.IrPrinter;
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
        String text = Files.readString(f);
        List<Pass> passes = new ArrayList<>();
        String run = text.lines().filter(l -> l.startsWith("// RUN:")).findFirst()
                .orElseThrow(() -> new AssertionError(f + " has no // RUN: line"));
        for (String name : run.substring("// RUN:".length()).split(",")) {
            if (name.isBlank()) continue;
            Supplier<Pass> p = PASSES.get(name.strip());
            assertNotNull(p, f + ": unknown pass '" + name.strip() + "'");
            passes.add(p.get());
        }
        Graph in = IrParser.parse(f.getFileName().toString(), text, IrParser.Mode.CHECKED);
        Graph out = new PassManager(passes).verifyEach(true).run(in, new PassContext());
        FileCheck.check(IrPrinter.print(out), text);
    }
}
