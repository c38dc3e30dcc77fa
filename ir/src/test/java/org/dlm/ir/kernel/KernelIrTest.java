package org.dlm.ir.kernel;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.ir.DType;
import org.junit.jupiter.api.Test;

class KernelIrTest {
    static final Buffer X = new Buffer("x", Buffer.Kind.INPUT, DType.F32, 6, 0, 0);
    static final Buffer Y = new Buffer("y", Buffer.Kind.OUTPUT, DType.F32, 6, 0, 0);

    static KernelModule relu(long extent, Buffer out) {
        Stmt.Loop loop = new Stmt.Loop("i0", Expr.i64(extent), 1, true, List.of(
                new Stmt.Store(out, new Expr.Var("i0", DType.I64), Expr.max(Expr.load(X, new Expr.Var("i0", DType.I64)), Expr.f32(0)))));
        return new KernelModule("relu", List.of(X, Y), List.of(loop), 0, 0);
    }

    @Test
    void walksEverySubexpressionAndFindsLoadsInsideIndices() {
        Expr i = new Expr.Var("i", DType.I64);
        Buffer idx = new Buffer("idx", Buffer.Kind.INPUT, DType.I64, 6, 0, 0);
        Expr gathered = Expr.load(X, Expr.load(idx, i));   // x[idx[i]]
        Expr e = new Expr.Select(new Expr.Binary(Expr.BinOp.LT, gathered, Expr.f32(0)), new Expr.Cast(DType.F32, i), gathered);
        List<Expr> seen = new java.util.ArrayList<>();
        e.forEach(seen::add);
        assertEquals(e, seen.get(0), "outermost first");
        assertEquals(11, seen.size(), seen.toString());   // select, lt, 2 x (x[idx[i]]: 2 loads + i), 0, cast, i
        List<Expr.Load> loads = e.loads();
        assertEquals(List.of("x", "idx", "x", "idx"), loads.stream().map(l -> l.buffer().name()).toList());
        assertEquals(List.of(), Expr.f32(1).loads());
    }

    @Test
    void printsLoopsLoadsAndStores() {
        assertEquals("""
                kernel relu arena=0 params=0 {
                  buffer %x: input 0 f32[6]
                  buffer %y: output 0 f32[6]
                  for %i0 in [0, 6) step 1 parallel {
                    store %y[%i0] = max(load %x[%i0], 0.0:f32)
                  }
                }
                """, KernelPrinter.print(relu(6, Y)));
        assertEquals(List.of(), KernelVerifier.check(relu(6, Y)));
    }

    @Test
    void verifierFindsOutOfRangeIndicesUndeclaredBuffersAndScopes() {
        List<String> errors = KernelVerifier.check(relu(7, Y));
        assertEquals(2, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("ranges over [0, 6], outside [0, 6)"), errors.toString());

        Buffer z = new Buffer("z", Buffer.Kind.TEMP, DType.F32, 6, 0, 0);
        errors = KernelVerifier.check(relu(6, z));
        assertTrue(errors.contains("buffer %z is not declared"), errors.toString());

        KernelModule badVar = new KernelModule("v", List.of(X, Y), List.of(new Stmt.Store(Y, Expr.i64(0), new Expr.Var("acc", DType.F32))), 0, 0);
        assertEquals(List.of("variable %acc used outside its scope"), KernelVerifier.check(badVar));
    }

    @Test
    void reductionWithAccumulatorAndTypedOperands() {
        var i = new Expr.Var("i", DType.I64);
        Buffer s = new Buffer("s", Buffer.Kind.OUTPUT, DType.F32, 1, 0, 0);
        KernelModule sum = new KernelModule("sum", List.of(X, s), List.of(
                new Stmt.Declare("acc", DType.F32, Expr.f32(0)),
                new Stmt.Loop("i", Expr.i64(6), 1, false, List.of(new Stmt.Assign("acc", Expr.add(new Expr.Var("acc", DType.F32), Expr.load(X, i))))),
                new Stmt.Store(s, Expr.i64(0), new Expr.Var("acc", DType.F32))), 0, 0);
        assertEquals(List.of(), KernelVerifier.check(sum));
        KernelModule mixed = new KernelModule("m", List.of(X, s), List.of(new Stmt.Store(s, Expr.i64(0), Expr.add(Expr.load(X, Expr.i64(0)), Expr.i64(1)))), 0, 0);
        assertFalse(KernelVerifier.check(mixed).isEmpty());
        KernelModule call = new KernelModule("c", List.of(X, Y), List.of(new Stmt.Call("sgemm_nn", List.of(new Stmt.ScalarArg(Expr.i64(2))))), 0, 0);
        assertEquals(List.of("sgemm_nn takes 11 arguments, got 1"), KernelVerifier.check(call));
    }

    @Test
    void directConvolutionCallsTakeConstantShapes() {
        // sconv_direct(o, c, ih, iw, kh, kw, sh, sw, dh, dw, X, W, Y, flags, bias): 1 channel, 3x2 image, 1x1 kernel
        Buffer w = new Buffer("w", Buffer.Kind.PARAM, DType.F32, 1, 0, 0);
        java.util.function.Function<Expr, KernelModule> conv = width -> {
            List<Stmt.Arg> args = new java.util.ArrayList<>();
            for (Expr v : List.of(Expr.i64(1), Expr.i64(1), Expr.i64(3), width, Expr.i64(1), Expr.i64(1), Expr.i64(1), Expr.i64(1), Expr.i64(1), Expr.i64(1)))
                args.add(new Stmt.ScalarArg(v));
            args.addAll(List.of(new Stmt.PtrArg(X, Expr.i64(0)), new Stmt.PtrArg(w, Expr.i64(0)), new Stmt.PtrArg(Y, Expr.i64(0)),
                    new Stmt.ScalarArg(Expr.c(DType.I32, Microkernels.RELU)), new Stmt.NullArg()));
            return new KernelModule("c", List.of(X, Y, w), List.of(new Stmt.Call(Microkernels.SCONV_DIRECT, args)), 0, 4);
        };
        KernelModule ok = conv.apply(Expr.i64(2));
        assertEquals(List.of(), KernelVerifier.check(ok));
        assertEquals(ok, KernelParser.parse(KernelPrinter.print(ok)));
        KernelModule loopWidth = new KernelModule("c", ok.buffers(), List.of(new Stmt.Loop("i", Expr.i64(2), 1, false,
                conv.apply(Expr.add(new Expr.Var("i", DType.I64), Expr.i64(1))).body())), 0, 4);
        assertEquals(List.of("sconv_direct argument 3 must be a constant"), KernelVerifier.check(loopWidth));
        assertEquals(12, Microkernels.outputArg(Microkernels.SCONV_DIRECT));
    }

    @Test
    void textParsesBackToAnEqualModule() {
        assertEquals(relu(6, Y), KernelParser.parse(KernelPrinter.print(relu(6, Y))));
        var i = new Expr.Var("i", DType.I64);
        Buffer s = new Buffer("s", Buffer.Kind.TEMP, DType.F32, 1, 0, 64);
        KernelModule m = new KernelModule("k", List.of(X, Y, s), List.of(
                new Stmt.Declare("acc", DType.F32, Expr.f32(Double.NEGATIVE_INFINITY)),
                new Stmt.Loop("i", Expr.i64(6), 2, false, List.of(
                        new Stmt.Assign("acc", Expr.max(new Expr.Var("acc", DType.F32), Expr.un(Expr.UnOp.EXP, Expr.load(X, i)))),
                        new Stmt.If(Expr.bin(Expr.BinOp.LT, i, Expr.i64(-3)), List.of(new Stmt.Store(Y, i, Expr.cast(DType.F32, Expr.cast(DType.I32, Expr.load(X, i)))))))),
                new Stmt.Store(s, Expr.i64(0), Expr.select(Expr.un(Expr.UnOp.ISNAN, new Expr.Var("acc", DType.F32)), Expr.f32(1e-5), Expr.f32(Double.NaN))),
                new Stmt.Call("sgemm_nn", List.of(new Stmt.ScalarArg(Expr.i64(1)), new Stmt.PtrArg(X, Expr.i64(2)), new Stmt.NullArg(),
                        new Stmt.ScalarArg(Expr.c(DType.I32, 8))))), 128, 0);
        assertEquals(m, KernelParser.parse(KernelPrinter.print(m)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KernelParser.parse("kernel k arena=0 params=0 {\n  store %nope[0] = 1.0:f32\n}\n"));
        assertEquals("kernel IR 2:14: undeclared buffer %nope", e.getMessage());
    }
}
