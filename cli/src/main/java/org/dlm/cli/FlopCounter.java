package org.dlm.cli;

import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;

/**
 * Useful FLOPs of one call of a graph, the benchmark convention: 2 × the multiply-accumulates of
 * conv2d, conv_transpose2d, matmul, gemm, linear and attention (QKᵀ and AV), from the nodes'
 * static shapes once {@code dims} binds every symbol. Elementwise ops, norms and pooling count 0.
 *
 * <pre>{@code
 * long flops = FlopCounter.flops(graph, Map.of("B", 64L));
 * }</pre>
 */
final class FlopCounter {
    private FlopCounter() {}

    static long flops(Graph g, Map<String, Long> dims) {
        long macs = 0;
        for (Node n : g.topoOrder()) macs += macs(n, dims);
        return 2 * macs;
    }

    /** Multiply-accumulates of one node; 0 for ops that are not products. */
    static long macs(Node n, Map<String, Long> dims) {
        return switch (n.opName()) {
            case "matmul" -> {
                long[] a = sizes(n.input(0), dims);
                yield numel(sizes(n, dims)) * a[a.length - 1];
            }
            case "gemm" -> {
                long[] a = sizes(n.input(0), dims);
                yield numel(sizes(n, dims)) * (n.attrs().getBool("trans_a", false) ? a[0] : a[1]);
            }
            case "linear" -> numel(sizes(n, dims)) * sizes(n.input(1), dims)[1];
            case "conv2d" -> {
                long[] w = sizes(n.input(1), dims);
                yield numel(sizes(n, dims)) * w[1] * w[2] * w[3];
            }
            case "conv_transpose2d" -> {
                long[] w = sizes(n.input(1), dims);
                yield numel(sizes(n.input(0), dims)) * w[1] * w[2] * w[3];
            }
            case "attention" -> {
                long[] q = sizes(n.input(0), dims), k = sizes(n.input(1), dims), out = sizes(n, dims);
                long dv = out[out.length - 1], tk = k[k.length - 2], d = q[q.length - 1];
                yield numel(out) / Math.max(1, dv) * tk * (d + dv);
            }
            default -> 0;
        };
    }

    private static long[] sizes(Node n, Map<String, Long> dims) { return n.shape().substitute(dims).sizes(); }

    private static long numel(long[] shape) {
        long p = 1;
        for (long s : shape) p *= s;
        return p;
    }

    /** The ops this counter counts, for messages. */
    static final List<String> COUNTED = List.of("conv2d", "conv_transpose2d", "matmul", "gemm", "linear", "attention");
}
