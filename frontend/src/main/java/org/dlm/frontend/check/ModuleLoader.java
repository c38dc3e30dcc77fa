package org.dlm.frontend.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Import;
import org.dlm.frontend.ast.Source;
import org.dlm.frontend.ast.SourceFile;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.parse.DlmSyntax;

/**
 * Finds, parses and links modules. {@code std.*} modules are class-path resources
 * ({@code std/nn.dlm}, shipped by dlm-stdlib) and are parsed once per class loader; other modules
 * are files next to the importing file ({@code import layers.blocks} reads {@code layers/blocks.dlm}).
 */
public final class ModuleLoader {
    /** The std modules searched for "import it from ..." hints. */
    static final List<String> STD_MODULES = List.of("std.ops", "std.nn", "std.losses");

    private static final Map<String, SourceFile> STD_CACHE = new ConcurrentHashMap<>();

    private final Reporter reporter;
    private final Path baseDir;
    private final Map<String, Module> modules = new HashMap<>();
    private final Set<String> loading = new HashSet<>();

    public ModuleLoader(Reporter reporter, Path baseDir) {
        this.reporter = reporter;
        this.baseDir = baseDir;
    }

    /** Links a parsed root file (named "main") and everything it imports. */
    Module linkRoot(SourceFile file) {
        Module m = new Module("main", file);
        modules.put("main", m);
        link(m);
        return m;
    }

    /** All modules loaded so far, root first. */
    java.util.Collection<Module> modules() { return modules.values(); }

    /** The module, loading it on first use; null (with a diagnostic) when it cannot be loaded. */
    Module load(String name, Span importSpan) {
        if (modules.containsKey(name)) return modules.get(name);
        if (!loading.add(name)) {
            reporter.error(importSpan, "import cycle through module '" + name + "'", "move the shared declarations into a third module");
            return null;
        }
        try {
            SourceFile file = parse(name, importSpan);
            Module m = file == null ? null : new Module(name, file);
            modules.put(name, m);
            if (m != null) link(m);
            return m;
        } finally {
            loading.remove(name);
        }
    }

    /** Loads a std module quietly (for hints); null when absent or broken. */
    Module peek(String name) {
        if (modules.containsKey(name)) return modules.get(name);
        SourceFile f = STD_CACHE.get(name);
        if (f == null) {
            String text = readResource(name);
            if (text == null) return null;
            f = DlmSyntax.parse(new Source(resourcePath(name), text), new Reporter());
            if (f == null) return null;
            STD_CACHE.put(name, f);
        }
        Module m = new Module(name, f);
        for (Decl d : f.decls()) if (d instanceof Decl.Fn fn) m.exports.put(fn.name(), fn);
        return m;
    }

    private SourceFile parse(String name, Span importSpan) {
        if (name.startsWith("std.")) {
            SourceFile cached = STD_CACHE.get(name);
            if (cached != null) return cached;
            String text = readResource(name);
            if (text == null) {
                reporter.error(importSpan, "module '" + name + "' not found",
                        "std modules are " + String.join(", ", STD_MODULES) + " (dlm-stdlib must be on the class path)");
                return null;
            }
            SourceFile f = DlmSyntax.parse(new Source(resourcePath(name), text), reporter);
            if (f != null) STD_CACHE.put(name, f);
            return f;
        }
        Path p = (baseDir == null ? Path.of(".") : baseDir).resolve(name.replace('.', '/') + ".dlm");
        String text;
        try {
            text = Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            reporter.error(importSpan, "module '" + name + "' not found", "looked for " + p);
            return null;
        }
        return DlmSyntax.parse(new Source(p.toString(), text), reporter);
    }

    private static String resourcePath(String module) { return module.replace('.', '/') + ".dlm"; }

    private static String readResource(String module) {
        String path = resourcePath(module);
        ClassLoader[] loaders = {Thread.currentThread().getContextClassLoader(), ModuleLoader.class.getClassLoader()};
        for (ClassLoader cl : loaders) {
            if (cl == null) continue;
            try (InputStream in = cl.getResourceAsStream(path)) {
                if (in != null) return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    private void link(Module m) {
        Map<String, Span> defined = new HashMap<>();
        for (Decl d : m.file().decls()) {
            if (!(d instanceof Decl.Fn fn)) continue;
            if (defined.containsKey(fn.name())) {
                reporter.error(fn.nameSpan(), "'" + fn.name() + "' is already defined at line " + defined.get(fn.name()).line());
                continue;
            }
            defined.put(fn.name(), fn.nameSpan());
            m.exports.put(fn.name(), fn);
            m.scope.put(fn.name(), new Values.FnRef(fn, m));
        }
        for (Import imp : m.file().imports()) {
            Module target = load(imp.module(), imp.span());
            if (target == null) continue;
            if (imp.star()) {
                for (var e : target.exports.entrySet()) m.scope.putIfAbsent(e.getKey(), new Values.FnRef(e.getValue(), target));
            } else if (imp.items().isEmpty()) {
                String alias = imp.module().substring(imp.module().lastIndexOf('.') + 1);
                bind(m, defined, alias, new Values.ModuleRef(target), imp.span());
            } else {
                for (Import.Item it : imp.items()) {
                    Decl.Fn fn = target.exports.get(it.name());
                    if (fn == null) {
                        String near = Names.closest(it.name(), target.exports.keySet());
                        reporter.error(it.span(), "module '" + imp.module() + "' has no '" + it.name() + "'",
                                near != null ? "did you mean '" + near + "'?" : null);
                        continue;
                    }
                    bind(m, defined, it.alias() != null ? it.alias() : it.name(), new Values.FnRef(fn, target), it.span());
                }
            }
        }
    }

    private void bind(Module m, Map<String, Span> defined, String name, Object value, Span span) {
        if (defined.containsKey(name)) {
            reporter.error(span, "import of '" + name + "' clashes with the declaration at line " + defined.get(name).line(),
                    "import it under another name: import ... .{" + name + " as other}");
            return;
        }
        defined.put(name, span);
        m.scope.put(name, value);
    }
}
