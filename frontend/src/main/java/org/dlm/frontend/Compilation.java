package org.dlm.frontend;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;

/**
 * The result of compiling a .dlm file: every diagnostic (all errors at once) and, when there
 * are no errors, one Graph IR per model (keyed by model name) and the parsed train blocks.
 */
public record Compilation(List<Diagnostic> diagnostics, Map<String, Graph> models, Map<String, TrainSpec> trainSpecs) {
    public boolean ok() { return diagnostics.stream().noneMatch(d -> d.severity() == Diagnostic.Severity.ERROR); }
}
