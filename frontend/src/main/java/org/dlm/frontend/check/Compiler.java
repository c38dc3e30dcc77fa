package org.dlm.frontend.check;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.TrainSpec;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.ast.SourceFile;
import org.dlm.frontend.ast.Stmt;
import org.dlm.frontend.parse.DlmSyntax;
import org.dlm.ir.Graph;

/** One compilation: parse, link imports, resolve names, elaborate models, check train blocks. */
public final class Compiler {
    /** Larger sources are refused (a model file is kilobytes). */
    public static final int MAX_SOURCE_CHARS = 8 << 20;

    private Compiler() {}

    /** Compiles on the calling thread; see {@link org.dlm.frontend.Frontend} for the safe entry point. */
    public static Compilation compile(String fileName, String text, Path baseDir) {
        Reporter reporter = new Reporter();
        if (text.length() > MAX_SOURCE_CHARS) {
            reporter.error(fileName, "file is too large (" + text.length() + " characters; the limit is " + MAX_SOURCE_CHARS + ")", null);
            return result(reporter, Map.of(), Map.of());
        }
        Source source = new Source(fileName, text);
        SourceFile file = DlmSyntax.parse(source, reporter);
        if (file == null) return result(reporter, Map.of(), Map.of());

        ModuleLoader loader = new ModuleLoader(reporter, baseDir);
        Module root = loader.linkRoot(file);
        for (Module m : loader.modules().toArray(Module[]::new)) if (m != null) Resolver.resolve(reporter, loader, m);

        Elaborator elaborator = new Elaborator(reporter);
        Map<String, Graph> models = new LinkedHashMap<>();
        Map<String, String> modelOutputs = new LinkedHashMap<>();
        for (Decl d : file.decls()) {
            if (d instanceof Decl.Fn fn && fn.isModel()) {
                modelOutputs.put(fn.name(), fn.body().stream().filter(s -> s instanceof Stmt.Forward)
                        .map(s -> ((Stmt.Forward) s).resultName()).filter(java.util.Objects::nonNull).findFirst().orElse(null));
                Graph g = elaborator.model(new Values.FnRef(fn, root));
                if (g != null) models.put(fn.name(), g);
            }
        }
        Map<String, TrainSpec> trains = new LinkedHashMap<>();
        TrainChecker trainChecker = new TrainChecker(reporter);
        for (Decl d : file.decls()) {
            if (d instanceof Decl.Train t) {
                if (trains.containsKey(t.name())) {
                    reporter.error(t.nameSpan(), "model " + t.name() + " already has a train block");
                    continue;
                }
                TrainSpec spec = trainChecker.check(t, modelOutputs);
                if (spec != null) trains.put(t.name(), spec);
            }
        }
        return result(reporter, models, trains);
    }

    private static Compilation result(Reporter reporter, Map<String, Graph> models, Map<String, TrainSpec> trains) {
        boolean ok = !reporter.hasErrors();
        return new Compilation(reporter.diagnostics(), ok ? Map.copyOf(models) : Map.of(), ok ? Map.copyOf(trains) : Map.of());
    }
}
