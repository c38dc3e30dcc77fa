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
        t.one("ConvInteger", cx -> {
            // in f64, exact for 8-bit operands; padding is the zero point, i.e. 0 after shifting
            Node x = shifted(cx, cx.in(0), cx.hasInput(2) ? cx.in(2) : null, false);
            Node w = shifted(cx, cx.in(1), cx.hasInput(3) ? cx.in(3) : null, true);
            return cx.op("cast", List.of(NnConverters.convOf(cx, x, w, null)), "dtype", DType.I32);
        });
        t.one("QLinearConv", cx -> {
            Node x = shifted(cx, cx.in(0), cx.in(2), false), w = shifted(cx, cx.in(3), cx.in(5), true);
            Node acc = NnConverters.convOf(cx, x, w, cx.hasInput(8) ? cx.op("cast", List.of(cx.in(8)), "dtype", DType.F64) : null);
            Node ws = cx.op("cast", List.of(cx.in(4)), "dtype", DType.F64);
            if (ws.shape().rank() == 1) ws = cx.op("reshape", List.of(ws), "shape", Shape.of(ws.shape().dim(0), Dim.of(1), Dim.of(1)));
            return requantize(cx, acc, cx.op("mul", cx.op("cast", List.of(cx.in(1)), "dtype", DType.F64), ws), cx.in(6), cx.in(7));
        });
        t.one("QLinearMatMul", cx -> {
            Node a = shifted(cx, cx.in(0), cx.in(2), false), b = shifted(cx, cx.in(3), cx.in(5), false);
            Node scale = cx.op("mul", cx.op("cast", List.of(cx.in(1)), "dtype", DType.F64), cx.op("cast", List.of(cx.in(4)), "dtype", DType.F64));
            return requantize(cx, cx.op("matmul", a, b), scale, cx.in(6), cx.in(7));
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

    /** An 8-bit operand as f64 minus its zero point (per output channel for weights when 1-D). */
    private static Node shifted(OpContext cx, Node v, Node zp, boolean perChannel) {
        Node f = cx.op("cast", List.of(v), "dtype", DType.F64);
        if (zp == null) return f;
        Node z = cx.op("cast", List.of(zp), "dtype", DType.F64);
        if (perChannel && z.shape().rank() == 1 && v.shape().rank() > 1) {
            List<Dim> dims = new ArrayList<>(List.of(z.shape().dim(0)));
            for (int i = 1; i < v.shape().rank(); i++) dims.add(Dim.of(1));
            z = cx.op("reshape", List.of(z), "shape", new Shape(dims));
        }
        return cx.op("sub", f, z);
    }

    /** round(acc · scale / y_scale) + y_zero_point, saturated to the zero point's type. */
    private static Node requantize(OpContext cx, Node acc, Node scale, Node yScale, Node yZp) {
        Node m = cx.op("div", scale, cx.op("cast", List.of(yScale), "dtype", DType.F64));
        Node y = cx.op("add", cx.op("round", cx.op("mul", acc, m)), cx.op("cast", List.of(yZp), "dtype", DType.F64));
        return saturate(cx, y, yZp.dtype());
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
