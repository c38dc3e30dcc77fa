package org.dlm.ir.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.dlm.ir.DType;

/**
 * A scalar value in Kernel IR: constants, loop variables and locals, arithmetic, selects, casts
 * and loads. Index expressions are the {@link DType#I64} ones (affine in loop variables after
 * lowering, with div/rem where a flat index is split). Values are immutable; equal structure means
 * equal value.
 */
public sealed interface Expr {
    DType type();

    /** Visits this expression and every expression inside it (load indices too), outermost first. */
    default void forEach(Consumer<Expr> visit) {
        visit.accept(this);
        switch (this) {
            case Load l -> l.index().forEach(visit);
            case Unary u -> u.a().forEach(visit);
            case Binary b -> {
                b.a().forEach(visit);
                b.b().forEach(visit);
            }
            case Select s -> {
                s.cond().forEach(visit);
                s.a().forEach(visit);
                s.b().forEach(visit);
            }
            case Cast c -> c.a().forEach(visit);
            case Const c -> {}
            case Var v -> {}
        }
    }

    /** Every load in this expression, including loads inside load indices, outermost first. */
    default List<Load> loads() {
        List<Load> out = new ArrayList<>();
        forEach(e -> {
            if (e instanceof Load l) out.add(l);
        });
        return out;
    }

    record Const(DType type, double value) implements Expr {}

    /** A loop variable (i64) or a local declared by {@link Stmt.Declare}. */
    record Var(String name, DType type) implements Expr {}

    record Unary(UnOp op, Expr a) implements Expr {
        public DType type() { return op == UnOp.ISNAN ? DType.BOOL : a.type(); }
    }

    record Binary(BinOp op, Expr a, Expr b) implements Expr {
        public DType type() { return op.isComparison() ? DType.BOOL : a.type(); }
    }

    record Select(Expr cond, Expr a, Expr b) implements Expr {
        public DType type() { return a.type(); }
    }

    record Cast(DType type, Expr a) implements Expr {}

    record Load(Buffer buffer, Expr index) implements Expr {
        public DType type() { return buffer.dtype(); }
    }

    enum UnOp { NEG, ABS, EXP, LOG, SQRT, SIN, COS, TANH, ERF, FLOOR, CEIL, ROUND, NOT, ISNAN }

    enum BinOp {
        /** {@code SHR}: logical (unsigned) shift right of an integer, shift count of the same type (random bit mixing). */
        ADD, SUB, MUL, DIV, REM, MAX, MIN, POW, EQ, NE, LT, LE, GT, GE, AND, OR, XOR, SHR;
        public boolean isComparison() { return ordinal() >= EQ.ordinal() && ordinal() <= GE.ordinal(); }
    }

    // ---- building helpers (index arithmetic folds constants so printed IR stays readable)
    static Expr i64(long v) { return new Const(DType.I64, v); }
    static Expr f32(double v) { return new Const(DType.F32, v); }
    static Expr c(DType t, double v) { return new Const(t, v); }

    static Expr add(Expr a, Expr b) {
        if (a instanceof Const x && x.value() == 0) return b;
        if (b instanceof Const y && y.value() == 0) return a;
        if (a instanceof Const x && b instanceof Const y && a.type() == DType.I64) return i64((long) x.value() + (long) y.value());
        return new Binary(BinOp.ADD, a, b);
    }
    static Expr sub(Expr a, Expr b) {
        if (b instanceof Const y && y.value() == 0) return a;
        return new Binary(BinOp.SUB, a, b);
    }
    static Expr mul(Expr a, Expr b) {
        if (a.type() == DType.I64) {
            if (a instanceof Const x && x.value() == 1) return b;
            if (b instanceof Const y && y.value() == 1) return a;
            if ((a instanceof Const x && x.value() == 0) || (b instanceof Const y && y.value() == 0)) return i64(0);
            if (a instanceof Const x && b instanceof Const y) return i64((long) x.value() * (long) y.value());
        }
        return new Binary(BinOp.MUL, a, b);
    }
    static Expr div(Expr a, Expr b) {
        if (a.type() == DType.I64 && b instanceof Const y && y.value() == 1) return a;
        return new Binary(BinOp.DIV, a, b);
    }
    static Expr rem(Expr a, Expr b) { return new Binary(BinOp.REM, a, b); }
    static Expr max(Expr a, Expr b) { return new Binary(BinOp.MAX, a, b); }
    static Expr min(Expr a, Expr b) { return new Binary(BinOp.MIN, a, b); }
    static Expr bin(BinOp op, Expr a, Expr b) { return new Binary(op, a, b); }
    static Expr un(UnOp op, Expr a) { return new Unary(op, a); }
    static Expr select(Expr c, Expr a, Expr b) { return new Select(c, a, b); }
    static Expr cast(DType t, Expr a) { return a.type() == t ? a : new Cast(t, a); }
    static Expr load(Buffer b, Expr index) { return new Load(b, index); }
}
