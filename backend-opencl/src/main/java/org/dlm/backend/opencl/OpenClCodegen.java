package org.dlm.backend.opencl;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.Microkernels;
import org.dlm.ir.kernel.Stmt;

/**
 * Kernel IR → one OpenCL C program plus the host steps that run it. Every top-level statement
 * becomes a kernel; its outer {@code parallel} loops (up to three nested ones) become the NDRange
 * ({@code get_global_id}, the innermost loop on dimension 0), everything below stays loops in the
 * kernel. A scalar local declared at the top level is grouped with the statements that use it
 * into one single-work-item kernel. Statements that call a microkernel stay on the host: their
 * loops iterate in Java and each {@code sgemm_XY} call launches the tiled GEMM kernel
 * ({@link GemmKernel}); host loop variables reach the kernels as {@code long} arguments.
 *
 * <p>Every kernel takes the same storage blocks: {@code in0..}, {@code out0..} (one per input and
 * output slot), {@code params} and {@code arena}, all {@code __global uchar*}; a buffer is a typed
 * pointer at its byte offset in its block.
 *
 * <pre>{@code
 * OpenClProgram p = OpenClCodegen.generate(lowered.module());
 * System.out.println(p.source());
 * }</pre>
 */
public final class OpenClCodegen {
    static final String PRELUDE = """
            #pragma OPENCL FP_CONTRACT OFF
            float __attribute__((overloadable)) dlm_fmax(float a, float b) { return isnan(a) || isnan(b) ? NAN : fmax(a, b); }
            float __attribute__((overloadable)) dlm_fmin(float a, float b) { return isnan(a) || isnan(b) ? NAN : fmin(a, b); }
            char __attribute__((overloadable)) dlm_iabs(char x) { return x < 0 ? (char)-x : x; }
            uchar __attribute__((overloadable)) dlm_iabs(uchar x) { return x; }
            int __attribute__((overloadable)) dlm_iabs(int x) { return x < 0 ? -x : x; }
            long __attribute__((overloadable)) dlm_iabs(long x) { return x < 0 ? -x : x; }
            long dlm_ipow(long x, long y) {
                if (y < 0) return x == 1 ? 1 : x == -1 ? ((y & 1) ? -1 : 1) : 0;
                long r = 1;
                while (y > 0) { if (y & 1) r *= x; x *= x; y >>= 1; }
                return r;
            }
            """;
    static final String PRELUDE_F64 = """
            #pragma OPENCL EXTENSION cl_khr_fp64 : enable
            double __attribute__((overloadable)) dlm_fmax(double a, double b) { return isnan(a) || isnan(b) ? (double)NAN : fmax(a, b); }
            double __attribute__((overloadable)) dlm_fmin(double a, double b) { return isnan(a) || isnan(b) ? (double)NAN : fmin(a, b); }
            """;
    private static final Pattern DOUBLE = Pattern.compile("\\bdouble\\b");

    private final KernelModule module;
    private final Map<String, Buffer> buffers = new LinkedHashMap<>();
    private final Map<String, String> bufferNames = new HashMap<>();
    private final StringBuilder kernels = new StringBuilder();
    private int kernelCount, varCount;
    private boolean usesGemm, usesConv;

    private OpenClCodegen(KernelModule module) {
        this.module = module;
        int i = 0;
        for (Buffer b : module.buffers()) {
            buffers.put(b.name(), b);
            bufferNames.put(b.name(), "b" + i++ + "_" + sanitize(b.name()));
        }
    }

    /** Generates the program for {@code m}; throws {@link UnsupportedOperationException} for a dtype or microkernel OpenCL lacks. */
    public static OpenClProgram generate(KernelModule m) {
        OpenClCodegen g = new OpenClCodegen(m);
        List<Step> steps = g.steps(m.body(), List.of());
        String body = g.kernels.toString();
        boolean f64 = DOUBLE.matcher(body).find();
        StringBuilder src = new StringBuilder();
        src.append("// DLM module ").append(m.name()).append(": ").append(g.kernelCount).append(" kernels")
                .append(g.usesGemm ? " + GEMM" : "").append(g.usesConv ? " + direct convolution" : "").append('\n');
        if (f64) src.append(PRELUDE_F64);
        src.append(PRELUDE);
        if (g.usesGemm) src.append(GemmKernel.SOURCE);
        if (g.usesConv) src.append(ConvKernel.SOURCE);
        src.append(body);
        return new OpenClProgram(src.toString(), steps, f64, m.buffers(Buffer.Kind.INPUT).size(), m.buffers(Buffer.Kind.OUTPUT).size());
    }

    // ---- host steps

    private List<Step> steps(List<Stmt> block, List<String> hostVars) {
        List<Step> out = new ArrayList<>();
        for (int i = 0; i < block.size(); i++) {
            Stmt s = block.get(i);
            if (s instanceof Stmt.Declare) {
                int end = localGroupEnd(block, i);
                List<Stmt> group = block.subList(i, end + 1);
                if (group.stream().anyMatch(OpenClCodegen::hasCall))
                    throw new UnsupportedOperationException("a microkernel call in the scope of a top-level local");
                out.add(kernel(group, hostVars));
                i = end;
            } else if (hasCall(s)) {
                switch (s) {
                    case Stmt.Call c -> {
                        if (c.kernel().equals(Microkernels.SCONV_DIRECT) || c.kernel().equals(Microkernels.SCONV_WGRAD)) usesConv = true;
                        else if (c.kernel().startsWith("sgemm_")) usesGemm = true;
                        else throw new UnsupportedOperationException("no OpenCL microkernel " + c.kernel());
                        out.add(new Step.Gemm(c));
                    }
                    case Stmt.Loop l -> {
                        List<String> inner = new ArrayList<>(hostVars);
                        inner.add(l.var());
                        out.add(new Step.HostLoop(l.var(), l.extent(), l.step(), steps(l.body(), inner)));
                    }
                    case Stmt.If f -> out.add(new Step.HostIf(f.cond(), steps(f.then(), hostVars)));
                    default -> throw new IllegalStateException("unexpected " + s);
                }
            } else {
                out.add(kernel(List.of(s), hostVars));
            }
        }
        return out;
    }

    /** The last statement of {@code block} that uses a local declared from {@code start} on (transitively). */
    private static int localGroupEnd(List<Stmt> block, int start) {
        Set<String> locals = new HashSet<>();
        int end = start;
        boolean grew = true;
        while (grew) {
            grew = false;
            for (int k = start; k <= end; k++) if (block.get(k) instanceof Stmt.Declare d) locals.add(d.name());
            for (int k = end + 1; k < block.size(); k++) {
                Set<String> used = new HashSet<>();
                uses(block.get(k), used);
                if (used.stream().anyMatch(locals::contains)) { end = k; grew = true; }
            }
        }
        return end;
    }

    private static void uses(Stmt s, Set<String> out) {
        switch (s) {
            case Stmt.Loop l -> { vars(l.extent(), out); l.body().forEach(b -> uses(b, out)); }
            case Stmt.Store st -> { vars(st.index(), out); vars(st.value(), out); }
            case Stmt.Declare d -> vars(d.init(), out);
            case Stmt.Assign a -> { out.add(a.name()); vars(a.value(), out); }
            case Stmt.If f -> { vars(f.cond(), out); f.then().forEach(b -> uses(b, out)); }
            case Stmt.Call c -> c.args().forEach(a -> {
                if (a instanceof Stmt.ScalarArg sa) vars(sa.value(), out);
                if (a instanceof Stmt.PtrArg p) vars(p.offset(), out);
            });
        }
    }

    static void vars(Expr e, Set<String> out) {
        e.forEach(x -> {
            if (x instanceof Expr.Var v) out.add(v.name());
        });
    }

    static boolean hasCall(Stmt s) {
        return switch (s) {
            case Stmt.Call c -> true;
            case Stmt.Loop l -> l.body().stream().anyMatch(OpenClCodegen::hasCall);
            case Stmt.If f -> f.then().stream().anyMatch(OpenClCodegen::hasCall);
            default -> false;
        };
    }

    // ---- kernels

    private Step.Launch kernel(List<Stmt> stmts, List<String> hostVars) {
        String name = "k" + kernelCount++;
        List<Stmt.Loop> grid = new ArrayList<>();
        if (stmts.size() == 1 && stmts.getFirst() instanceof Stmt.Loop top) {
            Stmt.Loop cur = top;
            while (cur.parallel() && grid.size() < 3 && onlyHostVars(cur.extent(), hostVars)) {
                grid.add(cur);
                if (cur.body().size() == 1 && cur.body().getFirst() instanceof Stmt.Loop inner) cur = inner;
                else break;
            }
        }
        Map<String, String> names = new HashMap<>();
        StringBuilder k = new StringBuilder();
        k.append("\n__kernel void ").append(name).append("(").append(String.join(", ", blockParams()));
        for (String h : hostVars) {
            String c = "h_" + sanitize(h);
            names.put(h, c);
            k.append(", long ").append(c);
        }
        k.append(") {\n");
        ClExprWriter w = new ClExprWriter(names, bufferNames);
        for (int d = 0; d < grid.size(); d++) {
            Stmt.Loop l = grid.get(d);
            String c = fresh(l.var());
            k.append("    const long ").append(c).append(" = (long)get_global_id(").append(grid.size() - 1 - d).append(")")
                    .append(l.step() == 1 ? "" : " * " + l.step() + "L").append(";\n");
            names.put(l.var(), c);
        }
        Set<String> used = new LinkedHashSet<>();
        for (Stmt s : stmts) buffersUsed(s, used);
        for (String b : used) {
            Buffer buf = buffers.get(b);
            if (buf == null) throw new IllegalStateException("buffer %" + b + " is not declared");
            k.append("    __global ").append(ClExprWriter.type(buf.dtype())).append("* ").append(bufferNames.get(b))
                    .append(" = (__global ").append(ClExprWriter.type(buf.dtype())).append("*)(").append(block(buf)).append(");\n");
        }
        List<Stmt> body = grid.isEmpty() ? stmts : grid.getLast().body();
        for (Stmt s : body) stmt(s, w, names, k, 1);
        k.append("}\n");
        kernels.append(k);
        List<Expr> extents = new ArrayList<>();
        List<Long> steps = new ArrayList<>();
        for (int d = grid.size() - 1; d >= 0; d--) {
            extents.add(grid.get(d).extent());
            steps.add(grid.get(d).step());
        }
        return new Step.Launch(name, extents, steps, hostVars);
    }

    private List<String> blockParams() {
        List<String> p = new ArrayList<>();
        for (int i = 0; i < module.buffers(Buffer.Kind.INPUT).size(); i++) p.add("__global uchar* in" + i);
        for (int i = 0; i < module.buffers(Buffer.Kind.OUTPUT).size(); i++) p.add("__global uchar* out" + i);
        p.add("__global uchar* params");
        p.add("__global uchar* arena");
        return p;
    }

    private static String block(Buffer b) {
        return switch (b.kind()) {
            case INPUT -> "in" + b.slot();
            case OUTPUT -> "out" + b.slot();
            case PARAM -> b.offset() == 0 ? "params" : "params + " + b.offset() + "L";
            case TEMP -> b.offset() == 0 ? "arena" : "arena + " + b.offset() + "L";
        };
    }

    private static boolean onlyHostVars(Expr e, List<String> hostVars) {
        Set<String> v = new HashSet<>();
        vars(e, v);
        if (!hostVars.containsAll(v)) return false;
        return !hasLoad(e);
    }

    private static boolean hasLoad(Expr e) { return !e.loads().isEmpty(); }

    private static void buffersUsed(Stmt s, Set<String> out) {
        switch (s) {
            case Stmt.Loop l -> { buffersUsed(l.extent(), out); l.body().forEach(b -> buffersUsed(b, out)); }
            case Stmt.Store st -> { out.add(st.buffer().name()); buffersUsed(st.index(), out); buffersUsed(st.value(), out); }
            case Stmt.Declare d -> buffersUsed(d.init(), out);
            case Stmt.Assign a -> buffersUsed(a.value(), out);
            case Stmt.If f -> { buffersUsed(f.cond(), out); f.then().forEach(b -> buffersUsed(b, out)); }
            case Stmt.Call c -> throw new IllegalStateException("a microkernel call inside a kernel");
        }
    }

    private static void buffersUsed(Expr e, Set<String> out) {
        for (Expr.Load l : e.loads()) out.add(l.buffer().name());
    }

    private void stmt(Stmt s, ClExprWriter w, Map<String, String> names, StringBuilder k, int depth) {
        String ind = "    ".repeat(depth);
        switch (s) {
            case Stmt.Loop l -> {
                String ext = w.expr(l.extent());
                Map<String, String> saved = new HashMap<>(names);
                String c = fresh(l.var());
                names.put(l.var(), c);
                k.append(ind).append("for (long ").append(c).append(" = 0; ").append(c).append(" < ").append(ext).append("; ")
                        .append(c).append(l.step() == 1 ? "++" : " += " + l.step() + "L").append(") {\n");
                block(l.body(), w, names, k, depth + 1);
                k.append(ind).append("}\n");
                names.clear();
                names.putAll(saved);
            }
            case Stmt.Store st -> {
                String v = w.expr(st.value());
                if (st.buffer().dtype() == DType.BOOL) v = "(uchar)(" + v + " != 0)";
                k.append(ind).append(bufferNames.get(st.buffer().name())).append("[").append(w.expr(st.index())).append("] = ").append(v).append(";\n");
            }
            case Stmt.Declare d -> {
                String init = w.expr(d.init());
                String c = fresh(d.name());
                names.put(d.name(), c);
                k.append(ind).append(ClExprWriter.regType(d.type())).append(' ').append(c).append(" = ").append(init).append(";\n");
            }
            case Stmt.Assign a -> {
                String c = names.get(a.name());
                if (c == null) throw new IllegalStateException("local %" + a.name() + " is not declared");
                k.append(ind).append(c).append(" = ").append(w.expr(a.value())).append(";\n");
            }
            case Stmt.If f -> {
                k.append(ind).append("if (").append(w.expr(f.cond())).append(") {\n");
                block(f.then(), w, names, k, depth + 1);
                k.append(ind).append("}\n");
            }
            case Stmt.Call c -> throw new IllegalStateException("a microkernel call inside a kernel");
        }
    }

    private void block(List<Stmt> body, ClExprWriter w, Map<String, String> names, StringBuilder k, int depth) {
        Map<String, String> saved = new HashMap<>(names);
        for (Stmt s : body) stmt(s, w, names, k, depth);
        names.clear();
        names.putAll(saved);
    }

    private String fresh(String var) { return "v" + varCount++ + "_" + sanitize(var); }

    static String sanitize(String name) {
        StringBuilder b = new StringBuilder();
        for (char ch : name.toCharArray()) b.append(Character.isLetterOrDigit(ch) && ch < 128 ? ch : '_');
        return b.toString();
    }
}
