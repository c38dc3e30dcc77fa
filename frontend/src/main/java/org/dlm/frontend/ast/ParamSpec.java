package org.dlm.frontend.ast;

/** A parameter of a function, layer or forward: {@code name: type = default}; type and default may be null. */
public record ParamSpec(Span span, String name, TypeExpr type, Expr dflt) {}
