package org.dlm.backend.llvm.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;

/**
 * Times single {@code relu(conv2d)} layers compiled as models are (GraphLowering → Kernel IR →
 * KernelCodegen), the convolution lowered as usual and, with {@code -Ddlm.conv.im2col=true}
 * semantics, through im2col + GEMM; the two executables run alternately (A B A B ...) in one
 * process and the median of the per-pair time ratios is reported (< 1 = the usual lowering is
 * faster). Layers: ResNet-20's convolutions and LeNet's.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp ... org.dlm.backend.llvm.bench.ConvLayerBench [batch] [threads] [seconds]</pre>
 */
public final class ConvLayerBench {
    record Layer(long c, long h, long w, long o, long k, long pad, long stride) {
        Layer(long c, long h, long w, long o, long k, long pad) { this(c, h, w, o, k, pad, 1); }
    }

    public static void main(String[] args) {
        long batch = args.length > 0 ? Long.parseLong(args[0]) : 64;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 1;
        List<Layer> layers = List.of(new Layer(3, 32, 32, 16, 3, 1), new Layer(16, 32, 32, 16, 3, 1), new Layer(16, 34, 34, 16, 3, 0), new Layer(32, 16, 16, 32, 3, 1),
                new Layer(64, 8, 8, 64, 3, 1), new Layer(16, 32, 32, 32, 3, 1, 2), new Layer(32, 16, 16, 64, 3, 1, 2), new Layer(16, 32, 32, 32, 1, 0, 2),
                new Layer(1, 28, 28, 6, 5, 2), new Layer(6, 14, 14, 16, 5, 0));
        System.out.printf("batch %d, %d thread(s); ms = median per call; ratio = median of direct/im2col per pair%n", batch, threads);
        System.out.printf("%-28s %10s %10s %8s %10s%n", "layer", "direct ms", "im2col ms", "ratio", "GFLOP/s");
        Random r = new Random(1);
        for (Layer l : layers) {
            Node x = Node.of("input", List.of(), Attrs.of("name", "x", "dtype", DType.F32, "shape", Shape.of(batch, l.c(), l.h(), l.w())));
            Node w = param("w", l.o(), l.c(), l.k(), l.k()), b = param("b", l.o());
            Node conv = Node.of("conv2d", List.of(x, w, b), Attrs.of("padding", List.of(l.pad(), l.pad(), l.pad(), l.pad()), "stride", List.of(l.stride(), l.stride())));
            Graph g = new Graph("conv", List.of(x), List.of(w, b), List.of(new Graph.Output("y", Node.of("relu", conv))), Map.of());
            Map<String, NdArray> ps = Map.of("w", random(r, w), "b", random(r, b));
            LlvmBackend.Options opt = LlvmBackend.Options.dims(Map.of()).withThreads(threads);
            LlvmExecutable direct = LlvmBackend.compile(g, ps, opt);
            System.setProperty("dlm.conv.im2col", "true");
            LlvmExecutable im2col;
            try {
                im2col = LlvmBackend.compile(g, ps, opt);
            } finally {
                System.clearProperty("dlm.conv.im2col");
            }
            try (direct; im2col; Tensor in = Tensor.of(random(r, x))) {
                Map<String, Tensor> feed = Map.of("x", in);
                for (int i = 0; i < 3; i++) {
                    direct.run(feed).values().forEach(Tensor::close);
                    im2col.run(feed).values().forEach(Tensor::close);
                }
                List<Double> a = new ArrayList<>(), bt = new ArrayList<>(), ratio = new ArrayList<>();
                long start = System.nanoTime();
                while (a.size() < 10 || System.nanoTime() - start < seconds * 1e9) {
                    double ta = time(direct, feed), tb = time(im2col, feed);
                    a.add(ta);
                    bt.add(tb);
                    ratio.add(ta / tb);
                }
                long oh = (l.h() + 2 * l.pad() - l.k()) / l.stride() + 1, ow = (l.w() + 2 * l.pad() - l.k()) / l.stride() + 1;
                double flops = 2.0 * batch * l.o() * l.c() * l.k() * l.k() * oh * ow;
                System.out.printf("%-28s %10.3f %10.3f %8.2f %10.1f%n", String.format("%dx%dx%d -> %d k%d p%d s%d", l.c(), l.h(), l.w(), l.o(), l.k(), l.pad(), l.stride()),
                        median(a) / 1e6, median(bt) / 1e6, median(ratio), flops / median(a));
            }
        }
    }

    private static double time(LlvmExecutable exe, Map<String, Tensor> feed) {
        long t0 = System.nanoTime();
        Map<String, Tensor> out = exe.run(feed);
        long t = System.nanoTime() - t0;
        out.values().forEach(Tensor::close);
        return t;
    }

    private static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static Node param(String name, long... shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape)));
    }

    private static NdArray random(Random r, Node n) {
        long[] shape = n.type().shape().sizes();
        double[] v = new double[(int) Arrays.stream(shape).reduce(1, (p, q) -> p * q)];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() - 0.5;
        return new NdArray(DType.F32, shape, v);
    }
}
