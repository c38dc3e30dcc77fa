package org.dlm.ir.pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.dlm.ir.Graph;
import org.dlm.ir.text.FileCheck;
import org.dlm.ir.text.IrParser;
import org.dlm.ir.text.IrPrinter;

/**
 * Runs one pass test written as IR text (lit style): the file's {@code // RUN: pass-a, pass-b}
 * line names the pipeline, its graph is parsed in checked mode, run through the passes with
 * verification after each, printed, and matched against the file's {@code // CHECK} lines
 * ({@link FileCheck}). A new pass test is a new file, not new Java.
 *
 * <pre>{@code
 * // RUN: constant-folding
 * graph G(%x: f32[2]) {
 *   %a = const {value = dense<f32[2]>[1.0, 2.0]} : f32[2]
 *   %b = add(%a, %a) : f32[2]
 *   return %y = %b
 * }
 * // CHECK: const {value = dense<f32[2]>[2.0, 4.0]}
 * }</pre>
 */
public final class PassTestFile {
    private PassTestFile() {}

    /**
     * Runs the test in {@code text}; {@code passes} maps pass names to factories.
     *
     * @throws IllegalArgumentException when the file has no RUN line or names an unknown pass
     * @throws org.dlm.ir.text.IrParseException when the graph does not parse or check
     * @throws PassManager.PassException when a pass produces a malformed graph
     * @throws FileCheck.FileCheckException when the output does not match the CHECK lines
     * @return the printed output (for debugging)
     */
    public static String run(String fileName, String text, Map<String, ? extends Supplier<? extends Pass>> passes) {
        String runLine = text.lines().filter(l -> l.strip().startsWith("// RUN:")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(fileName + ": no '// RUN: pass, ...' line"));
        List<Pass> pipeline = new ArrayList<>();
        for (String name : runLine.strip().substring("// RUN:".length()).split(",")) {
            if (name.isBlank()) continue;
            Supplier<? extends Pass> p = passes.get(name.strip());
            if (p == null)
                throw new IllegalArgumentException(fileName + ": unknown pass '" + name.strip() + "'; known: " + String.join(", ", passes.keySet()));
            pipeline.add(p.get());
        }
        Graph in = IrParser.parse(fileName, text, IrParser.Mode.CHECKED);
        Graph out = new PassManager(pipeline).verifyEach(true).run(in, new PassContext());
        String printed = IrPrinter.print(out);
        try {
            FileCheck.check(printed, text);
        } catch (FileCheck.FileCheckException e) {
            throw new FileCheck.FileCheckException(fileName + ": " + e.getMessage() + "\nfull output:\n" + printed);
        }
        return printed;
    }
}
