package org.dlm.frontend.ast;

import java.util.List;

/** A parsed file: its imports and declarations in source order. */
public record SourceFile(Source source, List<Import> imports, List<Decl> decls) {}
