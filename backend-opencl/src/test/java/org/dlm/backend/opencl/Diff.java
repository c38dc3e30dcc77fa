package org.dlm.backend.opencl;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.testkit.BackendDiff;

/** The OpenCL backend against the reference interpreter ({@link BackendDiff}, shared with the LLVM backend's tests). */
final class Diff {
    private Diff() {}

    static Node input(String name, DType t, long... shape) { return BackendDiff.input(name, t, shape); }
    static Node param(String name, long... shape) { return BackendDiff.param(name, shape); }
    static NdArray random(Random r, DType t, long[] shape, double lo, double hi) { return BackendDiff.random(r, t, shape, lo, hi); }

    /** Runs graph {@code g} (outputs = {@code outs}) on the device and in the interpreter on random inputs/params; returns the worst error. */
    static double check(long seed, List<Node> outs, double tol) {
        return BackendDiff.check(seed, outs, tol, compiler(Map.of()), OpenClExecutable::source);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, double tol) {
        return compare(g, in, ps, Map.of(), tol);
    }

    static double compare(Graph g, Map<String, NdArray> in, Map<String, NdArray> ps, Map<String, Long> dims, double tol) {
        return BackendDiff.compare(g, in, ps, tol, compiler(dims), OpenClExecutable::source);
    }

    private static BackendDiff.Compiler<OpenClExecutable> compiler(Map<String, Long> dims) {
        return (g, ps) -> {
            OpenClExecutable exe = OpenClBackend.compile(g, ps, OpenClBackend.Options.dims(dims));
            System.out.printf("%s %s: compile %.0f ms (OpenCL build %.0f ms, %d kernels)%n", g.name(), dims,
                    exe.compileNanos() / 1e6, exe.buildNanos() / 1e6, exe.program().kernelCount());
            return exe;
        };
    }
}
