package org.dlm.frontend.check;

import java.util.List;
import java.util.Map;
import org.dlm.frontend.ast.Decl;
import org.dlm.frontend.ast.Span;
import org.dlm.frontend.ast.Stmt;
import org.dlm.ir.Node;

/**
 * Values the elaborator computes with. Compile-time values are plain Java objects: {@link Long}
 * (int), {@link Double} (float), {@link Boolean}, {@link String}, {@link org.dlm.ir.Dim} (a
 * symbolic int such as the batch size), {@link org.dlm.ir.DType}, and immutable {@link List}s.
 * Run-time values are {@link Tensor}s wrapping Graph IR nodes.
 */
final class Values {
    private Values() {}

    /** A tensor value: a Graph IR node. */
    record Tensor(Node node) {}

    /** {@code none}: an absent optional (e.g. no bias). */
    enum None { NONE }

    /** The value of an expression that already produced an error; absorbs everything silently. */
    enum Poison { POISON }

    /** A top-level function or layer declaration together with the module it lives in. */
    record FnRef(Decl.Fn decl, Module module) {}

    /** A primitive op of the op table, {@code prim.conv2d}. */
    record Prim(String op) {}

    /** A built-in function such as {@code len} or {@code Sequential}. */
    record Builtin(String name) {}

    /** An imported module used by name ({@code import std.nn} then {@code nn.Linear}). */
    record ModuleRef(Module module) {}

    /** A layer constructed but not yet placed in a model: becomes an {@link Instance} when assigned to a field. */
    record LayerCtor(FnRef fn, Map<String, Object> args, Span span) {}

    /** {@code Sequential(a, b, c)} not yet placed; children are named 0, 1, 2 like PyTorch's nn.Sequential. */
    record SequentialCtor(List<Object> children, Span span) {}

    /** A placed layer: its members (params, buffers, fields, lets) and its forward. */
    record Instance(FnRef fn, String path, Map<String, Object> members, Stmt.Forward forward) {
        String describe() { return fn.decl().name() + (path.isEmpty() ? "" : " '" + path + "'"); }
    }

    /** The values of {@code return (a, b)} in a forward that declares several results. */
    record Results(List<Object> values) {}

    /** A placed Sequential: calls its children in order. */
    record SequentialInstance(String path, List<Object> children) {}

    static String typeName(Object v) {
        return switch (v) {
            case Long l -> "int";
            case org.dlm.ir.Dim d -> "symbolic dimension " + d;
            case Double d -> "float";
            case Boolean b -> "bool";
            case String s -> "string";
            case List<?> l -> "list";
            case Tensor t -> t.node().type().toString();
            case None n -> "none";
            case FnRef f -> f.decl().isLayer() ? "layer constructor " + f.decl().name() : "function " + f.decl().name();
            case Prim p -> "primitive op " + p.op();
            case Builtin b -> "built-in " + b.name();
            case ModuleRef m -> "module " + m.module().name();
            case LayerCtor c -> "layer " + c.fn().decl().name();
            case SequentialCtor c -> "Sequential";
            case Instance i -> "layer " + i.fn().decl().name();
            case SequentialInstance s -> "Sequential";
            case Results r -> r.values().size() + " results";
            case org.dlm.ir.DType d -> "dtype";
            default -> v.getClass().getSimpleName();
        };
    }
}
