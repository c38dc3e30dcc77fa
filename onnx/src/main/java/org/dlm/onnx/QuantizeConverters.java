package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/** ONNX linear quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger (8-bit types). */
final class QuantizeConverters {
    private QuantizeConverters() {}

    static void register(ConverterTable t) {
        t.one("QuantizeLinear", cx -> {
            Node x = cx.in(0);
            DType q = cx.hasInput(2) ? cx.in(2).dtype() : DType.U8;
            checkQuantType(cx, q);
            Node scale = perAxis(cx, cx.in(1), x);
            Node scaled = cx.op("round", cx.op("div", x, scale.dtype() == x.dtype() ? scale : cx.op("cast", List.of(scale), "dtype", x.dtype())));
            if (cx.hasInput(2)) scaled = cx.op("add", scaled, cx.op("cast", List.of(perAxis(cx, cx.in(2), x)), "dtype", x.dtype()));
            return saturate(cx, scaled, q);
        });
        t.one("DequantizeLinear", cx -> {
            Node x = cx.in(0);
            Node scale = perAxis(cx, cx.in(1), x);
            DType f = scale.dtype();
            Node v = cx.op("cast", List.of(x), "dtype", f);
            if (cx.hasInput(2)) v = cx.op("sub", v, cx.op("cast", List.of(perAxis(cx, cx.in(2), x)), "dtype", f));
            return cx.op("mul", v, scale);
        });
        t.put("DynamicQuantizeLinear", cx -> {
            Node x = cx.in(0);
            DType f = x.dtype();
            Node zero = cx.scalar(f, 0);
            Node hi = cx.op("max", cx.op("reduce_max", List.of(x), "keepdims", false), zero);
            Node lo = cx.op("min", cx.op("reduce_min", List.of(x), "keepdims", false), zero);
            Node scale = cx.op("div", cx.op("sub", hi, lo), cx.scalar(f, 255));
            Node zpF = cx.op("clip", List.of(cx.op("round", cx.op("div", cx.op("neg", lo), scale))), "min", 0.0, "max", 255.0);
            Node y = saturate(cx, cx.op("add", cx.op("round", cx.op("div", x, scale)), zpF), DType.U8);
            return List.of(y, scale, cx.op("cast", List.of(zpF), "dtype", DType.U8));
        });
        t.one("MatMulInteger", cx -> {
            Node a = cx.op("cast", List.of(cx.in(0)), "dtype", DType.I32), b = cx.op("cast", List.of(cx.in(1)), "dtype", DType.I32);
            if (cx.hasInput(2)) {
                Node za = cx.op("cast", List.of(cx.in(2)), "dtype", DType.I32);
                // a per-row zero point [M] applies along the rows of A
                if (za.shape().rank() == 1 && a.shape().rank() >= 2) za = cx.op("unsqueeze", List.of(za), "axes", List.of(-1L));
                a = cx.op("sub", a, za);
            }
            if (cx.hasInput(3)) b = cx.op("sub", b, cx.op("cast", List.of(cx.in(3)), "dtype", DType.I32));
            return cx.op("matmul", a, b);
        });
    }

    private static void checkQuantType(OpContext cx, DType q) {
        if (q != DType.U8 && q != DType.I8) throw cx.unsupported("to " + q + " (only uint8 and int8)");
    }

    private static Node saturate(OpContext cx, Node v, DType q) {
        checkQuantType(cx, q);
        double lo = q == DType.U8 ? 0 : -128, hi = q == DType.U8 ? 255 : 127;
        return cx.op("cast", List.of(cx.op("clip", List.of(v), "min", lo, "max", hi)), "dtype", q);
    }

    /** A 1-D per-axis scale or zero point reshaped to broadcast along {@code axis} of {@code x}; scalars pass through. */
    private static Node perAxis(OpContext cx, Node p, Node x) {
        if (p.shape().rank() == 0 || p.shape().rank() == 1 && p.shape().dim(0).equals(Dim.of(1)) && x.shape().rank() != 1) {
            return p.shape().rank() == 0 ? p : cx.op("reshape", List.of(p), "shape", Shape.SCALAR);
        }
        if (p.shape().rank() != 1) throw cx.unsupported("blocked quantization (scale " + p.shape() + ")");
        int r = x.shape().rank();
        int axis = cx.axis(cx.attrInt("axis", 1), r);
        List<Dim> dims = new ArrayList<>();
        for (int i = 0; i < r; i++) dims.add(i == axis ? p.shape().dim(0) : Dim.of(1));
        return cx.op("reshape", List.of(p), "shape", new Shape(dims));
    }
}
