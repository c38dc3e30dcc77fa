package org.dlm.backend.opencl;

import java.util.Map;
import org.dlm.ir.kernel.Expr;

/** Evaluates the integer and boolean expressions the host needs (loop extents, GEMM sizes and offsets) given host loop variables. */
final class HostEval {
    private HostEval() {}

    static long eval(Expr e, Map<String, Long> env) {
        return switch (e) {
            case Expr.Const c -> (long) c.value();
            case Expr.Var v -> {
                Long x = env.get(v.name());
                if (x == null) throw new IllegalStateException("host expression uses %" + v.name() + ", which is not a host loop variable");
                yield x;
            }
            case Expr.Select s -> eval(s.cond(), env) != 0 ? eval(s.a(), env) : eval(s.b(), env);
            case Expr.Cast c -> {
                if (!c.a().type().isFloating() && !c.type().isFloating()) yield c.type() == org.dlm.ir.DType.BOOL ? (eval(c.a(), env) != 0 ? 1 : 0) : eval(c.a(), env);
                throw new IllegalStateException("floating-point host expression " + e);
            }
            case Expr.Unary u -> switch (u.op()) {
                case NEG -> -eval(u.a(), env);
                case ABS -> Math.abs(eval(u.a(), env));
                case NOT -> eval(u.a(), env) != 0 ? 0 : 1;
                default -> throw new IllegalStateException("host expression " + e);
            };
            case Expr.Binary b -> {
                if (b.a().type().isFloating()) throw new IllegalStateException("floating-point host expression " + e);
                long x = eval(b.a(), env), y = eval(b.b(), env);
                yield switch (b.op()) {
                    case ADD -> x + y;
                    case SUB -> x - y;
                    case MUL -> x * y;
                    case DIV -> x / y;
                    case REM -> x % y;
                    case MAX -> Math.max(x, y);
                    case MIN -> Math.min(x, y);
                    case EQ -> x == y ? 1 : 0;
                    case NE -> x != y ? 1 : 0;
                    case LT -> x < y ? 1 : 0;
                    case LE -> x <= y ? 1 : 0;
                    case GT -> x > y ? 1 : 0;
                    case GE -> x >= y ? 1 : 0;
                    case AND -> x & y;
                    case OR -> x | y;
                    case XOR -> x ^ y;
                    case POW -> (long) Math.pow(x, y);
                };
            }
            case Expr.Load l -> throw new IllegalStateException("host expression loads from %" + l.buffer().name());
        };
    }
}
