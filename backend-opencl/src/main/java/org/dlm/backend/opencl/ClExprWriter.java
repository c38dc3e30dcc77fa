package org.dlm.backend.opencl;

import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Expr;

/**
 * Kernel IR expressions as OpenCL C expressions. Every operand is parenthesized so precedence
 * never matters; bools live in registers as C truth values (int 0/1) and in memory as uchar.
 * Float min/max go through {@code dlm_fmax}/{@code dlm_fmin} (NaN-propagating, like the
 * interpreter), integer powers through {@code dlm_ipow} (see {@link OpenClCodegen#PRELUDE}).
 */
final class ClExprWriter {
    private final Map<String, String> names;
    private final Map<String, String> bufferNames;

    /** @param names C identifier of every variable in scope; @param bufferNames C pointer of every buffer the kernel touches */
    ClExprWriter(Map<String, String> names, Map<String, String> bufferNames) {
        this.names = names;
        this.bufferNames = bufferNames;
    }

    static String type(DType t) {
        return switch (t) {
            case F32 -> "float";
            case F64 -> "double";
            case I32 -> "int";
            case I64 -> "long";
            case I8 -> "char";
            case U8, BOOL -> "uchar";
            default -> throw new UnsupportedOperationException("the OpenCL backend has no " + t.text() + " type");
        };
    }

    /** Register type: bools are C truth values. */
    static String regType(DType t) { return t == DType.BOOL ? "int" : type(t); }

    static String constant(DType t, double v) {
        return switch (t) {
            case F32 -> Double.isNaN(v) ? "NAN" : Double.isInfinite(v) ? (v > 0 ? "INFINITY" : "(-INFINITY)")
                    : "(" + Float.toString((float) v) + "f)";
            case F64 -> Double.isNaN(v) ? "((double)NAN)" : Double.isInfinite(v) ? (v > 0 ? "((double)INFINITY)" : "(-(double)INFINITY)")
                    : "(" + Double.toString(v) + ")";
            case I64 -> (long) v == Long.MIN_VALUE ? "(-9223372036854775807L-1L)" : "(" + (long) v + "L)";
            case I32 -> (int) v == Integer.MIN_VALUE ? "(-2147483647-1)" : "(" + (int) v + ")";
            case I8 -> "((char)" + (long) v + ")";
            case U8 -> "((uchar)" + (long) v + ")";
            case BOOL -> v != 0 ? "1" : "0";
            default -> throw new UnsupportedOperationException("the OpenCL backend has no " + t.text() + " type");
        };
    }

    String expr(Expr e) {
        return switch (e) {
            case Expr.Const c -> constant(c.type(), c.value());
            case Expr.Var v -> {
                String n = names.get(v.name());
                if (n == null) throw new IllegalStateException("variable %" + v.name() + " is not defined");
                yield n;
            }
            case Expr.Load l -> {
                String access = bufferNames.get(l.buffer().name()) + "[" + expr(l.index()) + "]";
                yield l.buffer().dtype() == DType.BOOL ? "(" + access + " != 0)" : access;
            }
            case Expr.Select s -> "(" + expr(s.cond()) + " ? " + expr(s.a()) + " : " + expr(s.b()) + ")";
            case Expr.Cast c -> cast(expr(c.a()), c.a().type(), c.type());
            case Expr.Unary u -> unary(u.op(), expr(u.a()), u.a().type());
            case Expr.Binary b -> binary(b.op(), expr(b.a()), expr(b.b()), b.a().type());
        };
    }

    private static String cast(String x, DType from, DType to) {
        if (from == to) return x;
        if (to == DType.BOOL) return "(" + x + " != 0)";
        return "((" + type(to) + ")" + x + ")";
    }

    private static String unary(Expr.UnOp op, String x, DType t) {
        boolean f = t.isFloating();
        return switch (op) {
            case NEG -> "(-" + x + ")";
            case ABS -> f ? "fabs(" + x + ")" : "dlm_iabs(" + x + ")";
            case EXP -> "exp(" + x + ")";
            case LOG -> "log(" + x + ")";
            case SQRT -> "sqrt(" + x + ")";
            case SIN -> "sin(" + x + ")";
            case COS -> "cos(" + x + ")";
            case TANH -> "tanh(" + x + ")";
            case ERF -> "erf(" + x + ")";
            case FLOOR -> f ? "floor(" + x + ")" : x;
            case CEIL -> f ? "ceil(" + x + ")" : x;
            case ROUND -> f ? "rint(" + x + ")" : x;   // round half to even, like the interpreter
            case NOT -> "(!" + x + ")";
            case ISNAN -> f ? "(isnan(" + x + ") != 0)" : "0";
        };
    }

    private static String binary(Expr.BinOp op, String x, String y, DType t) {
        boolean f = t.isFloating();
        String ty = regType(t);
        return switch (op) {
            case ADD -> "(" + x + " + " + y + ")";
            case SUB -> "(" + x + " - " + y + ")";
            case MUL -> "(" + x + " * " + y + ")";
            case DIV -> "(" + x + " / " + y + ")";
            case REM -> f ? "fmod(" + x + ", " + y + ")" : "(" + x + " % " + y + ")";
            case MAX -> f ? "dlm_fmax(" + x + ", " + y + ")" : "((" + ty + ")max(" + x + ", " + y + "))";
            case MIN -> f ? "dlm_fmin(" + x + ", " + y + ")" : "((" + ty + ")min(" + x + ", " + y + "))";
            case POW -> f ? "pow(" + x + ", " + y + ")" : "((" + ty + ")dlm_ipow((long)" + x + ", (long)" + y + "))";
            case EQ -> "(" + x + " == " + y + ")";
            case NE -> "(" + x + " != " + y + ")";
            case LT -> "(" + x + " < " + y + ")";
            case LE -> "(" + x + " <= " + y + ")";
            case GT -> "(" + x + " > " + y + ")";
            case GE -> "(" + x + " >= " + y + ")";
            case AND -> "(" + x + " & " + y + ")";
            case OR -> "(" + x + " | " + y + ")";
            case XOR -> "(" + x + " ^ " + y + ")";
        };
    }
}
