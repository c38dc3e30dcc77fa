package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcCSymbolMapPair;
import org.bytedeco.llvm.LLVM.LLVMOrcMaterializationUnitRef;
import org.bytedeco.llvm.LLVM.LLVMOrcJITTargetMachineBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMOrcLLJITRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeModuleRef;

/**
 * An ORC LLJIT instance for the host CPU: modules go in, native function addresses come out,
 * callable from Java through FFM. Closing it frees the machine code, so every method handle
 * obtained from it must not be called afterwards; owners of compiled kernels close their Jit last.
 *
 * <pre>{@code
 * try (Jit jit = new Jit()) {
 *     jit.add(moduleBuilder);   // compiles a clone; the builder stays usable
 *     MethodHandle twice = jit.function("twice", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
 *     long four = (long) twice.invokeExact(2L);
 * }
 * }</pre>
 */
public final class Jit implements AutoCloseable {
    private LLVMOrcLLJITRef jit;

    public Jit() {
        Llvm.initialize();
        LLVMOrcJITTargetMachineBuilderRef machineBuilder = new LLVMOrcJITTargetMachineBuilderRef();
        Llvm.check(LLVMOrcJITTargetMachineBuilderDetectHost(machineBuilder), "LLVM could not describe the host for the JIT");
        LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
        LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, machineBuilder);   // takes ownership
        LLVMOrcLLJITRef created = new LLVMOrcLLJITRef();
        Llvm.check(LLVMOrcCreateLLJIT(created, builder), "LLVM could not create a JIT");   // consumes the builder
        jit = created;
    }

    private LLVMOrcLLJITRef jit() {
        if (jit == null) throw new IllegalStateException("Jit is closed");
        return jit;
    }

    /**
     * Adds a clone of the module (which should be optimized already); code is generated on first
     * lookup. With {@code DLM_PERF_MAP=1} in the environment the clone's functions get external
     * linkage, are compiled at once and listed in {@code /tmp/perf-<pid>.map} (see {@link PerfMap}).
     */
    public void add(ModuleBuilder module) {
        LLVMModuleRef copy = module.cloneModule();
        java.util.List<String> functions = PerfMap.ENABLED ? PerfMap.exportDefinedFunctions(copy) : java.util.List.of();
        LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(copy, module.threadSafeContext());
        LLVMErrorRef error = LLVMOrcLLJITAddLLVMIRModule(jit(), LLVMOrcLLJITGetMainJITDylib(jit()), tsm);
        if (error != null && !error.isNull()) {
            LLVMOrcDisposeThreadSafeModule(tsm);   // still ours on failure
            Llvm.check(error, "LLVM could not add the module to the JIT");
        }
        if (!functions.isEmpty()) PerfMap.record(functions, this::address);
    }

    /**
     * Adds a relocatable object (ELF from {@link ModuleBuilder#object()} or an object cache); it is
     * linked on the first lookup of one of its symbols.
     */
    public void addObject(byte[] object) {
        BytePointer bytes = new BytePointer(object.length);
        bytes.put(object);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(bytes, object.length, new BytePointer("dlm-object"));
        bytes.close();
        Llvm.check(LLVMOrcLLJITAddObjectFile(jit(), LLVMOrcLLJITGetMainJITDylib(jit()), buffer), "LLVM could not add an object to the JIT");
    }

    /**
     * Defines {@code symbols} (name → native address) in this JIT, so that modules and objects
     * calling functions of another JIT (the process-wide GEMM kernels and thread pool) link
     * against them.
     */
    public void defineAbsolute(Map<String, Long> symbols) {
        if (symbols.isEmpty()) return;
        LLVMOrcCSymbolMapPair pairs = new LLVMOrcCSymbolMapPair(symbols.size());
        int i = 0;
        for (var e : symbols.entrySet()) {
            LLVMOrcCSymbolMapPair pair = pairs.getPointer(i++);
            pair.Name(LLVMOrcLLJITMangleAndIntern(jit(), e.getKey()));   // retained for LLVMOrcAbsoluteSymbols, which takes it
            pair.Sym().Address(e.getValue());
            pair.Sym().Flags().GenericFlags((byte) (LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable));
            pair.Sym().Flags().TargetFlags((byte) 0);
        }
        LLVMOrcMaterializationUnitRef unit = LLVMOrcAbsoluteSymbols(pairs, symbols.size());
        LLVMErrorRef error = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(jit()), unit);
        if (error != null && !error.isNull()) {
            LLVMOrcDisposeMaterializationUnit(unit);   // still ours on failure
            Llvm.check(error, "LLVM could not define symbols in the JIT");
        }
        pairs.close();
    }

    /** The native address of {@code symbol}, compiling its module if needed. */
    public MemorySegment address(String symbol) {
        try (LongPointer address = new LongPointer(1)) {
            Llvm.check(LLVMOrcLLJITLookup(jit(), address, symbol), "JIT lookup of " + symbol + " failed");
            return MemorySegment.ofAddress(address.get());
        }
    }

    /** A Java handle calling the native function {@code symbol} with the C signature {@code descriptor}. */
    public MethodHandle function(String symbol, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address(symbol), descriptor);
    }

    @Override public void close() {
        if (jit != null) {
            LLVMErrorRef error = LLVMOrcDisposeLLJIT(jit);
            jit = null;
            Llvm.check(error, "LLVM could not dispose the JIT");
        }
    }
}
