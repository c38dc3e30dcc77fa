package org.dlm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.dlm.frontend.Compilation;
import org.dlm.ir.Graph;
import org.dlm.ir.text.IrPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code dlmc ir}: print the Graph IR of a model as text. */
@Command(name = "ir", mixinStandardHelpOptions = true,
         description = "Print the Graph IR of the models in a .dlm file (all of them, or the one given by --model).")
final class IrCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "a .dlm file, or a shipped model name")
    String file;

    @Option(names = "--model", paramLabel = "NAME", description = "the model to print (default: every model)")
    String model;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ModelSource src = ModelSource.load(file);
        Compilation c = src.compilation();
        CheckCommand.printDiagnostics(c, spec.commandLine().getErr());
        if (!c.ok()) return CliException.USER_ERROR;
        if (model != null) {
            out.print(IrPrinter.print(src.pick(model)));
        } else {
            boolean first = true;
            for (Graph g : c.models().values()) {
                if (!first) out.println();
                out.print(IrPrinter.print(g));
                first = false;
            }
        }
        out.flush();
        return 0;
    }
}
