package org.dlm.onnx;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.emit.DlmWriter;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.text.IrPrinter;
import org.dlm.runtime.io.AtomicFiles;
import org.dlm.runtime.io.ParamStore;

/**
 * {@code onnx-import MODEL.onnx [-o OUT.dlm|OUT.ir] [--format dlm|ir] [--weights OUT.safetensors]}: imports
 * an ONNX model and writes it as a readable {@code .dlm} model ({@link DlmWriter}; the default) or
 * as Graph IR text (when {@code OUT} ends in {@code .ir} or with {@code --format ir}), to stdout or
 * {@code OUT}; the initializers go to a checkpoint, under the parameter names of the written model.
 * Picocli-free so {@code dlmc onnx-import} can delegate to {@link #run(String[])}. Exit codes:
 * 0, 1 error, 2 usage, 3 unsupported (one {@code UNSUPPORTED:} line per problem, all at once).
 */
public final class OnnxImportCommand {
    private OnnxImportCommand() {}

    static final String USAGE = "usage: onnx-import MODEL.onnx [-o OUT.dlm|OUT.ir] [--format dlm|ir] [--weights OUT.safetensors]";

    public static int run(String[] args) { return run(args, System.out, System.err); }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path model = null, ir = null, weights = null;
        String format = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> { out.println(USAGE); return 0; }
                case "--format" -> {
                    if (i + 1 >= args.length) return usage(err, a + " needs a value");
                    format = args[++i];
                    if (!format.equals("dlm") && !format.equals("ir")) return usage(err, "--format must be dlm or ir, got '" + format + "'");
                }
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
        if (format == null) format = ir != null && ir.getFileName().toString().endsWith(".ir") ? "ir" : "dlm";
        try {
            ImportedModel m = OnnxImporter.importFile(model, OnnxImporter.Options.DEFAULT);
            Graph saved = m.graph();
            Map<String, NdArray> values = m.weights();
            String text;
            if (format.equals("ir")) {
                text = IrPrinter.print(m.graph());
            } else {
                DlmWriter.Result r;
                try {
                    r = DlmWriter.emit(m.graph());
                } catch (DlmWriter.DlmWriteException e) {
                    for (String p : e.problems()) err.println("UNSUPPORTED: " + p);
                    err.println("hint: write Graph IR instead: -o OUT.ir (or --format ir)");
                    return 3;
                }
                text = r.text();
                for (int k = 0; k < r.outputNames().size(); k++) {
                    String onnxOut = m.graph().outputs().get(k).name(), dlmOut = r.outputNames().get(k);
                    if (!dlmOut.equals(onnxOut)) err.println("note: output '" + onnxOut + "' is named '" + dlmOut + "' in the .dlm");
                }
                if (r.renamed()) {
                    saved = renamed(m.graph(), r.paramNames());
                    values = new LinkedHashMap<>();
                    for (var e : m.weights().entrySet()) values.put(r.paramNames().getOrDefault(e.getKey(), e.getKey()), e.getValue());
                    for (var e : r.paramNames().entrySet()) if (!e.getKey().equals(e.getValue()))
                        err.println("note: parameter '" + e.getKey() + "' is named '" + e.getValue() + "' in the .dlm and the weights");
                    for (var e : r.inputNames().entrySet()) if (!e.getKey().equals(e.getValue()))
                        err.println("note: input '" + e.getKey() + "' is named '" + e.getValue() + "' in the .dlm");
                }
            }
            if (ir == null) out.print(text);
            else AtomicFiles.write(ir, text.getBytes(StandardCharsets.UTF_8));
            if (weights != null) {
                if (weights.toAbsolutePath().getParent() != null) Files.createDirectories(weights.toAbsolutePath().getParent());
                ParamStore.save(weights, saved, values);
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

    /** The graph with its params renamed (only their names matter to the checkpoint writer). */
    private static Graph renamed(Graph g, Map<String, String> names) {
        List<Node> params = new ArrayList<>();
        for (Node p : g.params()) {
            String n = p.attrs().getString("name");
            params.add(Node.of("param", List.of(), p.attrs().with("name", names.getOrDefault(n, n))));
        }
        return new Graph(g.name(), g.inputs(), params, g.outputs(), g.meta());
    }

    private static int usage(PrintStream err, String message) {
        err.println("error: " + message);
        err.println(USAGE);
        return 2;
    }
}
