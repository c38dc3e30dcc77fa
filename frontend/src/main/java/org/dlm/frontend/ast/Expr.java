package org.dlm.frontend.ast;

import java.util.List;

/** Expressions of the language. Every node carries the span of its source text. */
public sealed interface Expr {
    Span span();

    record IntLit(Span span, long value) implements Expr {}
    record FloatLit(Span span, double value) implements Expr {}
    record StringLit(Span span, String value) implements Expr {}
    record BoolLit(Span span, boolean value) implements Expr {}
    record NoneLit(Span span) implements Expr {}
    record Name(Span span, String name) implements Expr {}
    /** {@code target.name}: a member of a layer or a name in an imported module. */
    record Member(Span span, Expr target, String name) implements Expr {}
    record Call(Span span, Expr callee, List<Arg> args) implements Expr {}
    record Index(Span span, Expr target, List<IndexItem> items) implements Expr {}
    record Unary(Span span, String op, Expr operand) implements Expr {}
    record Binary(Span span, String op, Expr left, Expr right) implements Expr {}
    record If(Span span, Expr cond, Expr then, Expr otherwise) implements Expr {}
    record ListLit(Span span, List<Expr> items) implements Expr {}
    /** {@code [body for var in iterable if cond]}; cond may be null. */
    record ListComp(Span span, Expr body, String var, Expr iterable, Expr cond) implements Expr {}
    /** {@code lo..hi}: the integers lo, lo+1, ..., hi-1. */
    record Range(Span span, Expr lo, Expr hi) implements Expr {}

    /** A call argument; {@code name} is null for positional ones. */
    record Arg(Span span, String name, Expr value) {}

    /** One subscript: a single index, or a slice with optional bounds and step. */
    sealed interface IndexItem { Span span(); }
    record Point(Span span, Expr index) implements IndexItem {}
    record Slice(Span span, Expr lo, Expr hi, Expr step) implements IndexItem {}
}
