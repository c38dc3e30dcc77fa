package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.junit.jupiter.api.Test;

class JitTest {
    /** {@code long twice(long x) { return x + x; }} */
    static void twice(ModuleBuilder mb) {
        LLVMValueRef fn = mb.function("twice", mb.i64(), mb.i64());
        try (FunctionBuilder b = mb.body(fn)) {
            b.ret(b.add(b.param(0), b.param(0)));
        }
    }

    /** {@code void axpy(long n, float a, float* x, float* y) { y[i] += a * x[i]; }}, left to the loop vectorizer. */
    static void axpy(ModuleBuilder mb) {
        LLVMValueRef fn = mb.function("axpy", mb.voidType(), mb.i64(), mb.f32(), mb.ptr(), mb.ptr());
        mb.addEnum(fn, 3, "noalias");
        mb.addEnum(fn, 4, "noalias");
        try (FunctionBuilder b = mb.body(fn)) {
            LLVMTypeRef f32 = mb.f32();
            b.forRange(b.i64(0), b.param(0), b.i64(1), i -> {
                LLVMValueRef yp = b.gep(f32, b.param(3), i);
                LLVMValueRef x = b.load(f32, b.gep(f32, b.param(2), i), 4);
                b.store(b.fma(f32, b.param(1), x, b.load(f32, yp, 4)), yp, 4);
            });
            b.retVoid();
        }
    }

    @Test
    void compilesAndCallsScalarFunction() throws Throwable {
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("t", host); Jit jit = new Jit()) {
            twice(mb);
            mb.optimize();
            jit.add(mb);
            MethodHandle h = jit.function("twice", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
            assertEquals(42L, (long) h.invokeExact(21L));
            assertEquals(-6L, (long) h.invokeExact(-3L));
        }
    }

    @Test
    void vectorizedLoopMatchesJava() throws Throwable {
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("t", host);
             Jit jit = new Jit(); Arena arena = Arena.ofConfined()) {
            axpy(mb);
            mb.optimize();
            jit.add(mb);
            MethodHandle h = jit.function("axpy", FunctionDescriptor.ofVoid(JAVA_LONG, JAVA_FLOAT, ADDRESS, ADDRESS));
            int n = 1037;
            MemorySegment x = arena.allocate(4L * n, 64), y = arena.allocate(4L * n, 64);
            for (int i = 0; i < n; i++) {
                x.setAtIndex(JAVA_FLOAT, i, i * 0.5f);
                y.setAtIndex(JAVA_FLOAT, i, 1 - i);
            }
            h.invokeExact((long) n, 2.0f, x, y);
            for (int i = 0; i < n; i++) assertEquals(Math.fma(2.0f, i * 0.5f, 1f - i), y.getAtIndex(JAVA_FLOAT, i), 0f, "y[" + i + "]");
        }
    }

    @Test
    void printsIrAndAssemblyWithWidestVectors() {
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("t", host)) {
            axpy(mb);
            mb.optimize();
            String ir = mb.llvmIr();
            assertTrue(ir.contains("define void @axpy("), ir);
            assertTrue(ir.contains("\"prefer-vector-width\"=\"" + host.vectorBits() + "\""), ir);
            String asm = mb.assembly();
            assertTrue(asm.contains("axpy:"), asm);
            String register = switch (host.vectorBits()) { case 512 -> "%zmm"; case 256 -> "%ymm"; default -> "%xmm"; };
            assertTrue(asm.contains(register), "expected " + register + " in\n" + asm);
            byte[] object = mb.object();
            assertEquals(0x7f, object[0]);
            assertEquals('E', object[1]);   // ELF
            // the module is still usable after emission
            assertTrue(mb.llvmIr().contains("@axpy"));
        }
    }

    @Test
    void avx2TargetUsesYmmOnly() {
        try (HostTarget avx2 = HostTarget.of("haswell", "+avx2,+fma,+avx,+sse4.2"); ModuleBuilder mb = new ModuleBuilder("t", avx2)) {
            assertEquals(256, avx2.vectorBits());
            assertEquals(8, avx2.f32Lanes());
            axpy(mb);
            mb.optimize();
            String asm = mb.assembly();
            assertTrue(asm.contains("%ymm"), asm);
            assertFalse(asm.contains("%zmm"), asm);
        }
    }

    @Test
    void invalidModuleIsRejectedWithLlvmsReason() {
        try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("t", host)) {
            LLVMValueRef fn = mb.function("broken", mb.i64(), mb.i64());
            try (FunctionBuilder b = mb.body(fn)) {
                b.ret(b.i32(1));   // wrong return type
            }
            LlvmException e = assertThrows(LlvmException.class, mb::verify);
            assertTrue(e.getMessage().contains("invalid LLVM module"), e.getMessage());
        }
    }

    @Test
    void lookupOfMissingSymbolFails() {
        try (Jit jit = new Jit()) {
            LlvmException e = assertThrows(LlvmException.class, () -> jit.address("no_such_function"));
            assertTrue(e.getMessage().contains("no_such_function"), e.getMessage());
        }
    }

    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    /** Each cycle creates and frees a context, module, JIT and machine code; memory must not grow with the count. */
    @Test
    void thousandCompileRunCloseCyclesDoNotLeak() throws Throwable {
        try (HostTarget host = HostTarget.detect()) {
            for (int i = 0; i < 150; i++) cycle(host, i);   // warm-up: allocator pools, JIT'd Java code
            System.gc();
            long before = rssKiB();
            int cycles = 1000;
            long t0 = System.nanoTime();
            for (int i = 0; i < cycles; i++) cycle(host, i);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.gc();
            long after = rssKiB();
            System.out.printf("JIT loop: %d cycles in %d ms (%.2f ms/cycle), VmRSS %d -> %d KiB (%+d)%n",
                    cycles, ms, ms / (double) cycles, before, after, after - before);
            // A leaked LLJIT or module costs tens of KiB per cycle (>= 20 MiB over 1000); allow allocator noise.
            assertTrue(after - before < 12 * 1024, "VmRSS grew by " + (after - before) + " KiB over " + cycles + " cycles");
        }
    }

    private static void cycle(HostTarget host, int i) throws Throwable {
        try (ModuleBuilder mb = new ModuleBuilder("loop" + i, host); Jit jit = new Jit()) {
            twice(mb);
            mb.optimize();
            jit.add(mb);
            MethodHandle h = jit.function("twice", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
            assertEquals(2L * i, (long) h.invokeExact((long) i));
        }
    }
}
