package org.dlm.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.dlm.ir.ShapeException;
import org.dlm.ir.interp.InterpreterException;
import org.dlm.runtime.io.DataFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code dlmc}, the DLM command-line tool. Exit codes: 0 success, 1 user error (diagnostics or
 * a message on stderr), 2 usage error, 3 unsupported feature, 70 internal error (a bug: the
 * stack trace is shown with {@code --debug}).
 *
 * <pre>{@code
 * int code = Dlmc.execute(out, err, "check", "lenet.dlm");
 * }</pre>
 */
@Command(name = "dlmc", mixinStandardHelpOptions = true, versionProvider = Dlmc.Version.class,
         description = "DLM, a deep-learning model compiler for the JVM.",
         subcommands = {CheckCommand.class, IrCommand.class, RunCommand.class, CompileCommand.class, BenchCommand.class, TrainCommand.class, EvalCommand.class,
                        OnnxCommands.Run.class, OnnxCommands.Import.class, OnnxCommands.Export.class,
                        PredictCommand.class, CommandLine.HelpCommand.class},
         footerHeading = "%nExit codes:%n",
         footer = {"  0 success, 1 user error (message or diagnostics on stderr), 2 usage error,",
                   "  3 unsupported feature, 70 internal error (add --debug for the stack trace).",
                   "",
                   "Shipped models can be named instead of a file: dlmc check lenet",
                   "(or test-models:lenet when a file of that name is in the way)."})
public final class Dlmc implements Runnable {
    public static final int INTERNAL_ERROR = 70;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--debug", scope = CommandLine.ScopeType.INHERIT,
                        description = "Show stack traces of internal errors.")
    boolean debug;

    @Override public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing command: give one of check, ir, run, compile, bench, train, eval, onnx-run, onnx-import, onnx-export (see dlmc --help)");
    }

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs dlmc with the given streams; returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        boolean debug = Arrays.asList(args).contains("--debug");
        CommandLine cl = new CommandLine(new Dlmc());
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parseResult) -> report(e, cmd.getErr(), debug));
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** Maps an exception to a message and an exit code; only internal errors may show a trace. */
    static int report(Exception e, PrintWriter err, boolean debug) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        switch (t) {
            case CliException c -> {
                err.println("error: " + c.getMessage());
                if (c.hint() != null) err.println("  hint: " + c.hint());
                return c.exitCode();
            }
            case DataFormatException d -> {
                err.println("error: " + d.getMessage().replace("\n", "\nerror: "));
                return CliException.USER_ERROR;
            }
            case InterpreterException i -> {
                err.println("error: " + i.getMessage());
                return CliException.USER_ERROR;
            }
            case ShapeException s -> {
                err.println("error: " + s.getMessage());
                return CliException.USER_ERROR;
            }
            case java.nio.file.NoSuchFileException n -> {
                err.println("error: " + n.getFile() + ": no such file");
                return CliException.USER_ERROR;
            }
            case java.nio.file.AccessDeniedException a -> {
                err.println("error: " + a.getFile() + ": permission denied");
                return CliException.USER_ERROR;
            }
            case java.io.IOException io -> {
                err.println("error: " + io.getMessage());
                return CliException.USER_ERROR;
            }
            case UnsupportedOperationException u -> {
                err.println("error: not supported yet: " + u.getMessage());
                return CliException.UNSUPPORTED;
            }
            default -> {
                err.println("internal error: " + t);
                if (debug) t.printStackTrace(err);
                else err.println("  this is a bug in dlmc; rerun with --debug for the stack trace and report it");
                return INTERNAL_ERROR;
            }
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Dlmc.class.getPackage().getImplementationVersion();
            return new String[] {"dlmc " + (v == null ? "(development build)" : v), "Java " + Runtime.version()};
        }
    }
}
