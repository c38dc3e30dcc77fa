package org.dlm.backend.opencl;

import java.util.List;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * What the host does, in order, to run a module: launch a generated kernel, launch the GEMM
 * kernel for a microkernel call, or iterate a loop (or test a condition) on the host because its
 * body calls a microkernel. Host loop variables are passed to kernels as {@code long} arguments.
 */
sealed interface Step {
    /**
     * Launch {@code kernel} over an NDRange of {@code extents[d] / steps[d]} (rounded up) work
     * items per dimension (dimension 0 is the innermost parallel loop; no extents: one work item),
     * with the host variables {@code hostVars} appended to the storage-block arguments.
     */
    record Launch(String kernel, List<Expr> extents, List<Long> steps, List<String> hostVars) implements Step {
        public Launch {
            extents = List.copyOf(extents);
            steps = List.copyOf(steps);
            hostVars = List.copyOf(hostVars);
        }
    }

    /** A microkernel call ({@code sgemm_XY}, {@code sconv_direct}); its scalar arguments may use host variables. */
    record Gemm(Stmt.Call call) implements Step {}

    record HostLoop(String var, Expr extent, long step, List<Step> body) implements Step {
        public HostLoop { body = List.copyOf(body); }
    }

    record HostIf(Expr cond, List<Step> then) implements Step {
        public HostIf { then = List.copyOf(then); }
    }
}
