package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMOrcThreadSafeContextRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetDataRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * One LLVM module under construction, in a context of its own that the JIT can share
 * (an ORC thread-safe context). Owns the module and the context; {@link Jit#add} compiles a clone,
 * so the module stays usable for printing IR or assembly afterwards.
 *
 * <pre>{@code
 * try (HostTarget host = HostTarget.detect(); ModuleBuilder mb = new ModuleBuilder("demo", host)) {
 *     LLVMValueRef fn = mb.function("twice", mb.i64(), mb.i64());
 *     try (FunctionBuilder b = mb.body(fn)) { b.ret(b.add(b.param(0), b.param(0))); }
 *     mb.optimize();
 *     System.out.println(mb.llvmIr());
 * }
 * }</pre>
 */
public final class ModuleBuilder implements AutoCloseable {
    private final HostTarget target;
    private LLVMOrcThreadSafeContextRef threadSafeContext;
    private final LLVMContextRef context;
    private LLVMModuleRef module;

    public ModuleBuilder(String name, HostTarget target) {
        Llvm.initialize();
        this.target = target;
        threadSafeContext = LLVMOrcCreateNewThreadSafeContext();
        context = LLVMOrcThreadSafeContextGetContext(threadSafeContext);
        module = LLVMModuleCreateWithNameInContext(name, context);
        LLVMSetTarget(module, target.triple());
        LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(target.machine());
        LLVMSetModuleDataLayout(module, layout);
        LLVMDisposeTargetData(layout);
    }

    public HostTarget target() { return target; }
    LLVMContextRef context() { return context; }
    LLVMModuleRef module() {
        if (module == null) throw new IllegalStateException("ModuleBuilder is closed");
        return module;
    }
    LLVMOrcThreadSafeContextRef threadSafeContext() { return threadSafeContext; }

    // ---- types
    public LLVMTypeRef voidType() { return LLVMVoidTypeInContext(context); }
    public LLVMTypeRef i1() { return LLVMInt1TypeInContext(context); }
    public LLVMTypeRef i8() { return LLVMInt8TypeInContext(context); }
    public LLVMTypeRef i32() { return LLVMInt32TypeInContext(context); }
    public LLVMTypeRef i64() { return LLVMInt64TypeInContext(context); }
    public LLVMTypeRef f32() { return LLVMFloatTypeInContext(context); }
    public LLVMTypeRef f64() { return LLVMDoubleTypeInContext(context); }
    /** The opaque pointer type (address space 0). */
    public LLVMTypeRef ptr() { return LLVMPointerTypeInContext(context, 0); }
    public LLVMTypeRef vector(LLVMTypeRef element, int lanes) { return LLVMVectorType(element, lanes); }

    /** Declares an exported function tagged for the target CPU. */
    public LLVMValueRef function(String name, LLVMTypeRef result, LLVMTypeRef... params) {
        LLVMTypeRef type = LLVMFunctionType(result, Llvm.array(params), params.length, 0);
        LLVMValueRef fn = LLVMAddFunction(module(), name, type);
        target.tag(fn);
        addEnum(fn, LLVMAttributeFunctionIndex, "nounwind");
        return fn;
    }

    /** Declares a module-private function (a helper that the optimizer may inline or specialize). */
    public LLVMValueRef internalFunction(String name, LLVMTypeRef result, LLVMTypeRef... params) {
        LLVMValueRef fn = function(name, result, params);
        LLVMSetLinkage(fn, LLVMInternalLinkage);
        return fn;
    }

    /** Adds an enum attribute such as "noalias" (index 1.. = parameter, {@code LLVMAttributeFunctionIndex} = function). */
    public void addEnum(LLVMValueRef fn, int index, String attribute) {
        int kind = LLVMGetEnumAttributeKindForName(attribute, attribute.length());
        if (kind == 0) throw new IllegalArgumentException("unknown LLVM attribute " + attribute);
        LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(context, kind, 0));
    }

    /** A builder positioned in a new entry block of {@code fn}. */
    public FunctionBuilder body(LLVMValueRef fn) { return new FunctionBuilder(this, fn); }

    /** An LLVM intrinsic with its overload types, e.g. {@code intrinsic("llvm.fma", v16f32)}. */
    public Callee intrinsic(String name, LLVMTypeRef... overloads) {
        int id = LLVMLookupIntrinsicID(name, name.length());
        if (id == 0) throw new IllegalArgumentException("unknown LLVM intrinsic " + name);
        LLVMValueRef fn = LLVMGetIntrinsicDeclaration(module(), id, Llvm.array(overloads), overloads.length);
        LLVMTypeRef type = LLVMIntrinsicGetType(context, id, Llvm.array(overloads), overloads.length);
        return new Callee(type, fn);
    }

    /** A function of this module as a call target. */
    public Callee callee(LLVMValueRef fn) { return new Callee(LLVMGlobalGetValueType(fn), fn); }

    /** A call target: the function and its type (opaque pointers need both). */
    public record Callee(LLVMTypeRef type, LLVMValueRef function) {}

    /** Throws with LLVM's explanation when the module is malformed. */
    public void verify() {
        BytePointer message = new BytePointer((Pointer) null);
        if (LLVMVerifyModule(module(), LLVMReturnStatusAction, message) != 0)
            throw new LlvmException("invalid LLVM module: " + Llvm.takeMessage(message));
        Llvm.takeMessage(message);
    }

    /** Runs the new pass manager's {@code pipeline}, e.g. "default<O3>", for the target machine. */
    public void optimize(String pipeline) { optimize(pipeline, true); }

    /**
     * Runs {@code pipeline}; without {@code autoVectorize} the loop and SLP vectorizers and the
     * loop unroller are off, for code that is vectorized by construction (they cost most of the
     * optimization time and find nothing there).
     */
    public void optimize(String pipeline, boolean autoVectorize) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            LLVMPassBuilderOptionsSetLoopVectorization(options, autoVectorize ? 1 : 0);
            LLVMPassBuilderOptionsSetSLPVectorization(options, autoVectorize ? 1 : 0);
            LLVMPassBuilderOptionsSetLoopUnrolling(options, autoVectorize ? 1 : 0);
            Llvm.check(LLVMRunPasses(module(), pipeline, target.machine(), options), "LLVM optimization failed");
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }

    /** Verifies and optimizes at O3. */
    public void optimize() {
        verify();
        optimize("default<O3>");
    }

    /** The module as LLVM IR text ({@code --emit=llvm}). */
    public String llvmIr() { return Llvm.takeMessage(LLVMPrintModuleToString(module())); }

    /** The module as target assembly text ({@code --emit=asm}). */
    public String assembly() { return new String(emit(LLVMAssemblyFile), StandardCharsets.UTF_8); }

    /** The module as a relocatable ELF object (position independent). */
    public byte[] object() { return emit(LLVMObjectFile); }

    /**
     * The module as a relocatable ELF object, emitted from the module itself (no copy): code
     * generation rewrites the IR, so the builder must not be optimized or emitted again.
     */
    public byte[] emitObject() { return emit(LLVMObjectFile, false); }

    private byte[] emit(int fileType) { return emit(fileType, true); }

    private byte[] emit(int fileType, boolean copyFirst) {
        // Code generation mutates the module (it runs codegen passes), so emit from a clone unless told otherwise.
        LLVMModuleRef copy = copyFirst ? LLVMCloneModule(module()) : module();
        LLVMMemoryBufferRef buffer = new LLVMMemoryBufferRef();
        BytePointer message = new BytePointer((Pointer) null);
        try {
            if (LLVMTargetMachineEmitToMemoryBuffer(target.machine(), copy, fileType, message, buffer) != 0)
                throw new LlvmException("LLVM code generation failed: " + Llvm.takeMessage(message));
            try {
                long size = LLVMGetBufferSize(buffer);
                byte[] bytes = new byte[Math.toIntExact(size)];
                LLVMGetBufferStart(buffer).capacity(size).get(bytes);
                return bytes;
            } finally {
                LLVMDisposeMemoryBuffer(buffer);
            }
        } finally {
            if (copyFirst) LLVMDisposeModule(copy);
        }
    }

    /** A copy of the module for the JIT to own. */
    LLVMModuleRef cloneModule() { return LLVMCloneModule(module()); }

    @Override public void close() {
        if (module != null) {
            LLVMDisposeModule(module);
            module = null;
        }
        if (threadSafeContext != null) {
            // Drops this builder's reference; modules handed to a JIT keep the context alive.
            LLVMOrcDisposeThreadSafeContext(threadSafeContext);
            threadSafeContext = null;
        }
    }
}
