package org.dlm.onnx;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dlm.ir.text.IrPrinter;
import org.dlm.runtime.io.AtomicFiles;
import org.dlm.runtime.io.ParamStore;

/**
 * {@code onnx-import MODEL.onnx [-o OUT.ir] [--weights OUT.safetensors]}: imports an ONNX model
 * and prints its Graph IR (to stdout or {@code OUT.ir}); the initializers go to a checkpoint.
 * Picocli-free so {@code dlmc onnx-import} can delegate to {@link #run(String[])}. Exit codes:
 * 0, 1 error, 2 usage, 3 unsupported (one {@code UNSUPPORTED:} line per problem, all at once).
 */
public final class OnnxImportCommand {
    private OnnxImportCommand() {}

    static final String USAGE = "usage: onnx-import MODEL.onnx [-o OUT.ir] [--weights OUT.safetensors]";

    public static int run(String[] args) { return run(args, System.out, System.err); }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path model = null, ir = null, weights = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> { out.println(USAGE); return 0; }
                case "-o", "--output", "--weights" -> {
                    if (i + 1 >= args.length) return usage(err, a + " needs a value");
                    Path v = Path.of(args[++i]);
                    if (a.equals("--weights")) weights = v;
                    else ir = v;
                }
                default -> {
                    if (a.startsWith("-")) return usage(err, "unknown option '" + a + "'");
                    if (model != null) return usage(err, "more than one model given");
                    model = Path.of(a);
                }
            }
        }
        if (model == null) return usage(err, "no model given");
        try {
            ImportedModel m = OnnxImporter.importFile(model, OnnxImporter.Options.DEFAULT);
            String text = IrPrinter.print(m.graph());
            if (ir == null) out.print(text);
            else AtomicFiles.write(ir, text.getBytes(StandardCharsets.UTF_8));
            if (weights != null) {
                if (weights.toAbsolutePath().getParent() != null) Files.createDirectories(weights.toAbsolutePath().getParent());
                ParamStore.save(weights, m.graph(), m.weights());
            }
            if (ir != null) out.println("wrote " + ir + (weights == null ? "" : " and " + weights) + " (" + m.graph().params().size() + " parameters, opset " + m.opset() + ")");
            return 0;
        } catch (OnnxException e) {
            for (OnnxIssue i : e.isUnsupported() ? e.issues().stream().filter(OnnxIssue::unsupported).toList() : e.issues()) err.println(i.render());
            return e.exitCode();
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static int usage(PrintStream err, String message) {
        err.println("error: " + message);
        err.println(USAGE);
        return 2;
    }
}
