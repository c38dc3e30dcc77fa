package org.dlm.backend.llvm.codegen;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.dlm.ir.kernel.Expr.*;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.dlm.backend.llvm.HostTarget;
import org.dlm.backend.llvm.Jit;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.Stmt;
import org.junit.jupiter.api.Test;

/**
 * A parallel loop whose iterations reuse a scratch temporary (like an im2col matrix per image)
 * gets one copy of it per thread; a scratch buffer also used outside the loop keeps the loop serial.
 */
class PrivateScratchTest {
    static final int ROWS = 512, COLS = 2047;

    /** y[i, j] = 2 * x[i, COLS-1-j] through a scratch row s; optionally s is read again afterwards. */
    static KernelModule module(boolean scratchUsedAfter) {
        Buffer x = new Buffer("x", Buffer.Kind.INPUT, DType.F32, ROWS * COLS, 0, 0);
        Buffer y = new Buffer("y", Buffer.Kind.OUTPUT, DType.F32, ROWS * COLS, 0, 0);
        Buffer z = new Buffer("z", Buffer.Kind.OUTPUT, DType.F32, 1, 1, 0);
        Buffer s = new Buffer("s", Buffer.Kind.TEMP, DType.F32, COLS, 0, 0);
        Expr i = new Expr.Var("i", DType.I64), j = new Expr.Var("j", DType.I64), k = new Expr.Var("k", DType.I64);
        Stmt fill = new Stmt.Loop("j", i64(COLS), 1, false, List.of(new Stmt.Store(s, j, mul(load(x, add(mul(i, i64(COLS)), j)), f32(2)))));
        Stmt use = new Stmt.Loop("k", i64(COLS), 1, false, List.of(new Stmt.Store(y, add(mul(i, i64(COLS)), k), load(s, sub(i64(COLS - 1), k)))));
        Stmt rows = new Stmt.Loop("i", i64(ROWS), 1, true, List.of(fill, use));
        Stmt after = new Stmt.Store(z, i64(0), scratchUsedAfter ? load(s, i64(0)) : f32(7));
        return new KernelModule("scratch", List.of(x, y, z, s), List.of(rows, after), 4L * COLS, 0);
    }

    @Test
    void scratchOnlyInsideTheLoopIsPerThread() throws Throwable {
        for (boolean usedAfter : new boolean[] {false, true}) {
            for (int threads : new int[] {1, 2, 3, 4}) {
                try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("scratch", host); Jit jit = new Jit();
                     Arena arena = Arena.ofConfined()) {
                    long arenaBytes = KernelCodegen.emit(mb, module(usedAfter), "run", threads, 0);
                    String ir = mb.llvmIr();
                    assertEquals(threads > 1 && !usedAfter, ir.contains("@run_loop0("), "threads " + threads + ", used after " + usedAfter);
                    if (threads > 1 && !usedAfter) assertTrue(arenaBytes >= 4L * COLS * threads, "room for a scratch row per thread: " + arenaBytes);
                    mb.optimize();
                    KernelCodegen.linkShared(jit, mb);
                    jit.add(mb);
                    MethodHandle run = jit.function("run", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
                    MemorySegment x = arena.allocate(4L * ROWS * COLS, 64), y = arena.allocate(4L * ROWS * COLS, 64), z = arena.allocate(64, 64);
                    for (int e = 0; e < ROWS * COLS; e++) x.setAtIndex(JAVA_FLOAT, e, e % 1013);
                    MemorySegment in = arena.allocate(8), out = arena.allocate(16), work = arena.allocate(Math.max(64, arenaBytes), 64);
                    in.set(ADDRESS, 0, x);
                    out.set(ADDRESS, 0, y);
                    out.set(ADDRESS, 8, z);
                    for (int rep = 0; rep < 10; rep++) {
                        y.fill((byte) 0);
                        run.invokeExact(in, out, MemorySegment.NULL, work, (long) threads);
                        for (int r = 0; r < ROWS; r++)
                            for (int c = 0; c < COLS; c++)
                                assertEquals(2f * ((r * COLS + COLS - 1 - c) % 1013), y.getAtIndex(JAVA_FLOAT, r * COLS + c), "row " + r + " col " + c);
                        assertEquals(usedAfter ? 2f * (((ROWS - 1) * COLS) % 1013) : 7f, z.getAtIndex(JAVA_FLOAT, 0));
                    }
                }
            }
        }
    }
}
