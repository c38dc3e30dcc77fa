package org.dlm.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Diagnostic;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code dlmc check}: compile .dlm files, print every diagnostic, summarize each model. */
@Command(name = "check", mixinStandardHelpOptions = true,
         description = {"Check .dlm files: parse, resolve names, check types and shapes.",
                        "Diagnostics go to stderr (exit 1 on errors); each model is summarized on stdout."})
final class CheckCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "a .dlm file, or a shipped model name (lenet, test-models:mlp)")
    List<String> files;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        boolean failed = false;
        for (String f : files) {
            ModelSource src;
            try {
                src = ModelSource.load(f);
            } catch (CliException e) {
                Dlmc.report(e, err, false);
                failed = true;
                continue;
            }
            Compilation c = src.compilation();
            printDiagnostics(c, err);
            if (!c.ok()) { failed = true; continue; }
            if (c.models().isEmpty()) out.println(src.display() + ": ok, no models");
            for (Graph g : c.models().values()) out.println(summary(g));
        }
        return failed ? CliException.USER_ERROR : 0;
    }

    static void printDiagnostics(Compilation c, PrintWriter err) {
        for (Diagnostic d : c.diagnostics()) err.print(d.render());
        long errors = c.diagnostics().stream().filter(d -> d.severity() == Diagnostic.Severity.ERROR).count();
        if (errors > 0) err.println(errors + (errors == 1 ? " error" : " errors"));
        err.flush();
    }

    /**
     * {@code LeNet: x: f32[B, 1, 28, 28] -> logits: f32[B, 10]; 61706 parameters in 10 tensors}; non-trainable
     * params (batch-norm statistics) are counted apart as buffers.
     */
    static String summary(Graph g) {
        StringJoiner in = new StringJoiner(", ");
        for (Node n : g.inputs()) in.add(n.attrs().getString("name") + ": " + n.type());
        StringJoiner out = new StringJoiner(", ");
        for (Graph.Output o : g.outputs()) out.add(o.name() + ": " + o.node().type());
        Dim weights = Dim.of(0), buffers = Dim.of(0);
        int nw = 0, nb = 0;
        for (Node p : g.params()) {
            if (p.attrs().getBool("trainable", true)) { weights = weights.plus(p.shape().numel()); nw++; }
            else { buffers = buffers.plus(p.shape().numel()); nb++; }
        }
        return g.name() + ": " + in + " -> " + out + "; " + weights + " parameters in " + nw + (nw == 1 ? " tensor" : " tensors")
            + (nb == 0 ? "" : " + " + buffers + " buffer values in " + nb + (nb == 1 ? " tensor" : " tensors"));
    }
}
