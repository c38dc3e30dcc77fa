package org.dlm.backend.opencl;

import java.util.List;

/**
 * A Kernel IR module as OpenCL: the program source (every kernel of the module, plus the GEMM
 * kernel when the module calls it) and the host steps that launch them in order.
 *
 * @param usesF64 the source needs {@code cl_khr_fp64}
 * @param inputs  number of input storage blocks ({@code in0..}), @param outputs of output blocks
 */
public record OpenClProgram(String source, List<Step> steps, boolean usesF64, int inputs, int outputs) {
    public OpenClProgram { steps = List.copyOf(steps); }

    /** Number of generated kernels (the GEMM kernel not counted). */
    public long kernelCount() { return count(steps); }

    private static long count(List<Step> steps) {
        long n = 0;
        for (Step s : steps) {
            n += switch (s) {
                case Step.Launch l -> 1;
                case Step.Gemm g -> 0;
                case Step.HostLoop l -> count(l.body());
                case Step.HostIf f -> count(f.then());
            };
        }
        return n;
    }
}
