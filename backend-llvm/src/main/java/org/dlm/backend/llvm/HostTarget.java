package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * The CPU code is generated for: triple, CPU name, feature string, the widest profitable f32
 * vector, and an LLVM target machine (used by the optimizer and to emit assembly or objects).
 *
 * <pre>{@code
 * try (HostTarget host = HostTarget.detect()) {
 *     System.out.println(host.cpu() + " f32 lanes: " + host.f32Lanes());
 * }
 * }</pre>
 */
public final class HostTarget implements AutoCloseable {
    private final String triple;
    private final String cpu;
    private final String features;
    private final int vectorBits;
    private LLVMTargetMachineRef machine;

    private HostTarget(String triple, String cpu, String features) {
        Llvm.initialize();
        this.triple = triple;
        this.cpu = cpu;
        this.features = features;
        this.vectorBits = features.contains("+avx512f") ? 512 : features.contains("+avx2") ? 256 : 128;
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer err = new BytePointer((org.bytedeco.javacpp.Pointer) null);
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, err) != 0)
            throw new LlvmException("no LLVM target for " + triple + ": " + Llvm.takeMessage(err));
        // PIC so the same machine can emit objects for a shared library; O3 code generation.
        machine = LLVMCreateTargetMachine(target, triple, cpu, features,
                LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault);
        if (machine == null || machine.isNull()) throw new LlvmException("LLVM could not create a target machine for " + cpu);
    }

    /** The machine this JVM runs on, with all of its features (AVX-512 when present). */
    public static HostTarget detect() {
        Llvm.initialize();
        String triple = Llvm.takeMessage(LLVMGetDefaultTargetTriple());
        return new HostTarget(triple, Llvm.takeMessage(LLVMGetHostCPUName()), Llvm.takeMessage(LLVMGetHostCPUFeatures()));
    }

    /** This machine's triple with an explicit CPU and feature string, e.g. to test the AVX2 path on an AVX-512 host. */
    public static HostTarget of(String cpu, String features) {
        Llvm.initialize();
        return new HostTarget(Llvm.takeMessage(LLVMGetDefaultTargetTriple()), cpu, features);
    }

    public String triple() { return triple; }
    public String cpu() { return cpu; }
    public String features() { return features; }
    /** Widest vector register the generated code uses: 512 (AVX-512), 256 (AVX2) or 128 (SSE). */
    public int vectorBits() { return vectorBits; }
    /** f32 lanes per vector register. */
    public int f32Lanes() { return vectorBits / 32; }
    /** Vector registers the ISA has (AVX-512 doubles them to 32). */
    public int vectorRegisters() { return vectorBits == 512 ? 32 : 16; }

    LLVMTargetMachineRef machine() {
        if (machine == null) throw new IllegalStateException("HostTarget is closed");
        return machine;
    }

    /**
     * Tags {@code function} with this CPU. Without "prefer-vector-width"="512" LLVM splits
     * 512-bit vectors in two even on AVX-512 machines.
     */
    void tag(LLVMValueRef function) {
        var ctx = LLVMGetTypeContext(LLVMTypeOf(function));
        addString(ctx, function, "target-cpu", cpu);
        addString(ctx, function, "target-features", features);
        addString(ctx, function, "prefer-vector-width", Integer.toString(vectorBits));
        addString(ctx, function, "min-legal-vector-width", Integer.toString(vectorBits));
    }

    private static void addString(org.bytedeco.llvm.LLVM.LLVMContextRef ctx, LLVMValueRef fn, String key, String value) {
        LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateStringAttribute(ctx, key, key.length(), value, value.length()));
    }

    @Override public void close() {
        if (machine != null) {
            LLVMDisposeTargetMachine(machine);
            machine = null;
        }
    }

    @Override public String toString() { return triple + " " + cpu + " (" + vectorBits + "-bit vectors)"; }
}
