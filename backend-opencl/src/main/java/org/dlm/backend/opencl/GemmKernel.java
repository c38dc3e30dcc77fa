package org.dlm.backend.opencl;

import org.dlm.ir.kernel.Microkernels;

/**
 * The OpenCL C GEMMs behind every {@code sgemm_XY} call: {@code C = relu?(A·B [+ C] [+ bias])},
 * A (m×k, or k×m when transposed) and B (k×n, or n×k) with leading dimensions, one work item per
 * element of C. Operands are passed as a storage block plus a byte offset, so one kernel serves
 * every buffer. Flags as in {@link Microkernels}.
 *
 * <p>Two kernels with the same arguments: {@value #NAME} stages {@value #TILE}×{@value #TILE}
 * tiles in local memory (for GPUs, where local memory is fast and global loads are not cached);
 * {@value #DIRECT} reads the operands straight from global memory with no barrier, which CPU
 * drivers (PoCL) vectorize across neighbouring work items and which wastes no work on small m
 * (a batch-1 product would fill only 1 of 16 rows of every tile).
 */
final class GemmKernel {
    static final int TILE = 16;
    static final String NAME = "dlm_sgemm", DIRECT = "dlm_sgemm_direct";

    private GemmKernel() {}

    static final String SOURCE = """
            #define DLM_TILE %d
            #define DLM_GEMM_ARGS long m, long n, long k, \
                    __global const uchar* ab, long aoff, long lda, int ta, \
                    __global const uchar* bb, long boff, long ldb, int tb, \
                    __global uchar* cb, long coff, long ldc, \
                    int flags, __global const uchar* biasb, long biasoff
            #define DLM_GEMM_OPERANDS \
                __global const float* A = (__global const float*)(ab + aoff); \
                __global const float* B = (__global const float*)(bb + boff); \
                __global float* C = (__global float*)(cb + coff);
            /* C[i, j] = epilogue(acc): + C (accumulate), + bias per column or per row, relu or relu6 */
            #define DLM_GEMM_STORE(i, j, acc) { \
                __global const float* bias = (__global const float*)(biasb + biasoff); \
                if (flags & %d) acc += C[(i) * ldc + (j)]; \
                if (flags & %d) acc += bias[j]; \
                if (flags & %d) acc += bias[i]; \
                if (flags & %d) acc = fmax(acc, 0.0f); \
                if (flags & %d) { acc = acc < 0.0f ? 0.0f : acc; acc = acc > 6.0f ? 6.0f : acc; } \
                C[(i) * ldc + (j)] = acc; }

            __kernel __attribute__((reqd_work_group_size(DLM_TILE, DLM_TILE, 1)))
            void dlm_sgemm(DLM_GEMM_ARGS) {
                DLM_GEMM_OPERANDS
                __local float As[DLM_TILE][DLM_TILE + 1];
                __local float Bs[DLM_TILE][DLM_TILE + 1];
                const int tx = get_local_id(0), ty = get_local_id(1);
                const long j = (long)get_group_id(0) * DLM_TILE + tx;   // column of C
                const long i = (long)get_group_id(1) * DLM_TILE + ty;   // row of C
                float acc = 0.0f;
                for (long p0 = 0; p0 < k; p0 += DLM_TILE) {
                    const long pa = p0 + tx, pb = p0 + ty;
                    As[ty][tx] = (i < m && pa < k) ? (ta ? A[pa * lda + i] : A[i * lda + pa]) : 0.0f;
                    Bs[ty][tx] = (j < n && pb < k) ? (tb ? B[j * ldb + pb] : B[pb * ldb + j]) : 0.0f;
                    barrier(CLK_LOCAL_MEM_FENCE);
                    for (int q = 0; q < DLM_TILE; q++) acc = fma(As[ty][q], Bs[q][tx], acc);
                    barrier(CLK_LOCAL_MEM_FENCE);
                }
                if (i < m && j < n) DLM_GEMM_STORE(i, j, acc)
            }

            __kernel void dlm_sgemm_direct(DLM_GEMM_ARGS) {
                DLM_GEMM_OPERANDS
                const long j = get_global_id(0), i = get_global_id(1);   // the NDRange is exactly n x m
                const long as = ta ? lda : 1, a0 = ta ? i : i * lda;     // A(i, p) = A[a0 + p * as]
                const long bs = tb ? 1 : ldb, b0 = tb ? j * ldb : j;     // B(p, j) = B[b0 + p * bs]
                float acc = 0.0f;
                for (long p = 0; p < k; p++) acc += A[a0 + p * as] * B[b0 + p * bs];
                DLM_GEMM_STORE(i, j, acc)
            }
            """.formatted(TILE, Microkernels.ACCUMULATE, Microkernels.BIAS_COLUMNS, Microkernels.BIAS_ROWS, Microkernels.RELU, Microkernels.RELU6);
}
