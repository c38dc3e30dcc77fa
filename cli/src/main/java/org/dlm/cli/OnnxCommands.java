package org.dlm.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.dlm.onnx.OnnxExportCommand;
import org.dlm.onnx.OnnxRunCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code dlmc onnx-run} and {@code dlmc onnx-export}: the ONNX module's own command-line tools
 * (they parse their arguments themselves and keep dlmc's exit codes), reachable through dlmc.
 */
final class OnnxCommands {
    private OnnxCommands() {}

    /** A tool that takes raw arguments and two streams and returns an exit code. */
    interface Tool { int run(String[] args, PrintStream out, PrintStream err); }

    /** Runs {@code tool}, then copies what it printed to picocli's writers (tests capture those). */
    static int delegate(CommandSpec spec, Tool tool, List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = tool.run(args.toArray(String[]::new), o, e);
        }
        PrintWriter pw = spec.commandLine().getOut(), ew = spec.commandLine().getErr();
        pw.print(out.toString(StandardCharsets.UTF_8));
        pw.flush();
        ew.print(err.toString(StandardCharsets.UTF_8));
        ew.flush();
        return code;
    }

    @Command(name = "onnx-run", description = {"Run an ONNX model on .npy inputs (the onnx module's tool; dlmc onnx-run --help).",
             "Usage:",
             "onnx-run MODEL --input-dir IN --output-dir OUT [--backend interp|llvm|opencl] [--timeout SECONDS]"})
    static final class Run implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Unmatched List<String> args = new ArrayList<>();

        @Override public Integer call() { return delegate(spec, OnnxRunCommand::run, args); }
    }

    @Command(name = "onnx-export", description = {"Write a .dlm model with its weights as ONNX (dlmc onnx-export --help).",
             "Usage:",
             "onnx-export MODEL.dlm --weights FILE(.safetensors|.npz) -o OUT.onnx [--model NAME]"})
    static final class Export implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Unmatched List<String> args = new ArrayList<>();

        @Override public Integer call() { return delegate(spec, OnnxExportCommand::run, args); }
    }
}
