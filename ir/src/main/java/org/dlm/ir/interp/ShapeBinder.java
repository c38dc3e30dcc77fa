package org.dlm.ir.interp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;

/**
 * Binds the symbols of declared input types ({@code f32[B, T, 512]}) to the sizes of actual
 * tensors, checking dtypes, ranks, static sizes and that every symbol gets one value. Dims such
 * as {@code 2*B} or {@code T+1} are solved once their symbol is otherwise unknown (affine in one
 * symbol); anything else must be determined by a plain symbol elsewhere.
 *
 * <pre>{@code
 * var b = new ShapeBinder();
 * b.bind("x", TensorType.of(DType.F32, Dim.sym("B"), Dim.of(784)), DType.F32, new long[] {64, 784});
 * b.finish();            // checks composite dims
 * b.env();               // {B=64}
 * }</pre>
 */
public final class ShapeBinder {
    private final Map<String, Long> env = new LinkedHashMap<>();
    /** Where each symbol got its value: "input x". */
    private final Map<String, String> origin = new HashMap<>();
    private record Pending(String what, int axis, Dim dim, long actual) {}
    private final List<Pending> pending = new ArrayList<>();

    /** Checks one tensor against its declared type; {@code what} names it in messages ("input x"). */
    public void bind(String what, TensorType declared, DType dtype, long[] shape) {
        if (dtype != declared.dtype())
            throw new InterpreterException(what + ": expected " + declared.dtype() + " data (type " + declared + "), got " + dtype);
        Shape s = declared.shape();
        if (shape.length != s.rank())
            throw new InterpreterException(what + ": expected rank " + s.rank() + " (" + declared + "), got shape " + Arrays.toString(shape));
        for (int i = 0; i < shape.length; i++) {
            Dim d = s.dim(i);
            long v = shape[i];
            if (d.isConst()) {
                if (d.value() != v)
                    throw new InterpreterException(what + ": dimension " + i + " must be " + d.value() + " (" + declared + "), got shape " + Arrays.toString(shape));
            } else if (d.equals(Dim.sym(d.symbols().get(0))) ) {
                String sym = d.symbols().get(0);
                Long prev = env.get(sym);
                if (prev == null) {
                    if (v < 0) throw new InterpreterException(what + ": negative size " + v + " for dimension " + sym);
                    env.put(sym, v);
                    origin.put(sym, what);
                } else if (prev != v) {
                    throw new InterpreterException(what + ": dimension " + sym + " is " + v + " here but " + prev + " in " + origin.get(sym));
                }
            } else {
                pending.add(new Pending(what, i, d, v));
            }
        }
    }

    /** Solves and checks composite dims; call after every tensor is bound. */
    public Map<String, Long> finish() {
        boolean progress = true;
        while (progress) {
            progress = false;
            for (Pending p : pending) {
                List<String> unknown = p.dim.symbols().stream().filter(x -> !env.containsKey(x)).toList();
                if (unknown.size() != 1) continue;
                String sym = unknown.get(0);
                Dim partial = p.dim.substitute(env);
                long k = partial.substitute(Map.of(sym, 0L)).value();
                long c = partial.substitute(Map.of(sym, 1L)).value() - k;
                if (c != 0 && (p.actual - k) % c == 0 && (p.actual - k) / c >= 0) {
                    long val = (p.actual - k) / c;
                    if (partial.substitute(Map.of(sym, val)).value() == p.actual) {
                        env.put(sym, val);
                        origin.put(sym, p.what);
                        progress = true;
                    }
                }
            }
        }
        for (Pending p : pending) {
            List<String> unknown = p.dim.symbols().stream().filter(x -> !env.containsKey(x)).toList();
            if (!unknown.isEmpty())
                throw new InterpreterException(p.what + ": cannot determine " + String.join(", ", unknown) + " from dimension "
                        + p.axis + " (" + p.dim + " = " + p.actual + ")");
            long want = p.dim.eval(env);
            if (want != p.actual)
                throw new InterpreterException(p.what + ": dimension " + p.axis + " is " + p.dim + " = " + want + " (with "
                        + bindingsOf(p.dim) + ") but the tensor has " + p.actual);
        }
        pending.clear();
        return env();
    }

    private String bindingsOf(Dim d) {
        List<String> parts = new ArrayList<>();
        for (String s : d.symbols()) parts.add(s + "=" + env.get(s) + " from " + origin.get(s));
        return String.join(", ", parts);
    }

    /** The symbol values bound so far. */
    public Map<String, Long> env() { return Map.copyOf(env); }
}
