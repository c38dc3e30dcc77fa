package org.dlm.frontend.check;

import java.util.LinkedHashMap;
import java.util.Map;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.SourceFile;

/**
 * A loaded module: its parsed file and its top-level scope (own declarations and imported names).
 * Scope values are {@link Values.FnRef} or {@link Values.ModuleRef}.
 */
final class Module {
    private final String name;
    private final SourceFile file;
    final Map<String, Object> scope = new LinkedHashMap<>();
    final Map<String, Decl.Fn> exports = new LinkedHashMap<>();

    Module(String name, SourceFile file) {
        this.name = name;
        this.file = file;
    }

    String name() { return name; }
    SourceFile file() { return file; }
}
