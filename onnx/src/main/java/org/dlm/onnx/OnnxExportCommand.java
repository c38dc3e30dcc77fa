package org.dlm.onnx;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Diagnostic;
import org.dlm.frontend.Frontend;
import org.dlm.ir.Graph;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.runtime.io.AtomicFiles;
import org.dlm.runtime.io.ParamStore;

/**
 * {@code onnx-export MODEL.dlm --weights W.safetensors -o OUT.onnx [--model NAME]}: compiles a
 * {@code .dlm} model and writes it as ONNX (opset 17) with the given parameter values. Picocli-free
 * so {@code dlmc onnx-export} can delegate to {@link #run(String[])}. Exit codes as for onnx-run:
 * 0, 1 error, 2 usage, 3 unsupported (one {@code UNSUPPORTED:} line per op).
 */
public final class OnnxExportCommand {
    private OnnxExportCommand() {}

    static final String USAGE = "usage: onnx-export MODEL.dlm --weights FILE(.safetensors|.npz) -o OUT.onnx [--model NAME]";

    public static int run(String[] args) { return run(args, System.out, System.err); }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path source = null, weights = null, output = null;
        String model = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> { out.println(USAGE); return 0; }
                case "-o", "--output", "--weights", "--model" -> {
                    if (i + 1 >= args.length) return usage(err, a + " needs a value");
                    String v = args[++i];
                    switch (a) {
                        case "--weights" -> weights = Path.of(v);
                        case "--model" -> model = v;
                        default -> output = Path.of(v);
                    }
                }
                default -> {
                    if (a.startsWith("-")) return usage(err, "unknown option '" + a + "'");
                    if (source != null) return usage(err, "more than one model file given");
                    source = Path.of(a);
                }
            }
        }
        if (source == null) return usage(err, "no .dlm file given");
        if (output == null) return usage(err, "-o OUT.onnx is required");
        if (weights == null) return usage(err, "--weights is required (parameter values from training, .safetensors or .npz)");
        try {
            Compilation c = Frontend.compile(source);
            if (!c.ok()) {
                for (Diagnostic d : c.diagnostics()) err.println(d.render());
                return 1;
            }
            Graph g;
            if (model != null) {
                g = c.models().get(model);
                if (g == null) { err.println("error: " + source + " has no model '" + model + "' (it has " + String.join(", ", c.models().keySet()) + ")"); return 1; }
            } else if (c.models().size() == 1) {
                g = c.models().values().iterator().next();
            } else {
                err.println("error: " + source + " defines " + (c.models().isEmpty() ? "no models" : "models " + String.join(", ", c.models().keySet()) + "; choose one with --model"));
                return 1;
            }
            Map<String, NdArray> params = ParamStore.load(g, weights);
            ModelProto m = OnnxExporter.export(g, params);
            if (output.toAbsolutePath().getParent() != null) Files.createDirectories(output.toAbsolutePath().getParent());
            AtomicFiles.write(output, m.toByteArray());
            out.println("wrote " + output + " (" + g.name() + ", ONNX opset " + OnnxExporter.OPSET + ")");
            return 0;
        } catch (OnnxException e) {
            for (OnnxIssue i : e.issues()) err.println(i.render());
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
