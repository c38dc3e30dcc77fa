package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits the body of one function: integer and float arithmetic, memory access with explicit
 * alignment, vectors, intrinsic calls and structured loops (phi nodes are created here, so
 * generators never see raw control flow). Closing it releases the native IR builder.
 */
public final class FunctionBuilder implements AutoCloseable {
    private final ModuleBuilder mb;
    private final LLVMValueRef function;
    private LLVMBuilderRef builder;

    FunctionBuilder(ModuleBuilder mb, LLVMValueRef function) {
        this.mb = mb;
        this.function = function;
        this.builder = LLVMCreateBuilderInContext(mb.context());
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(mb.context(), function, "entry"));
    }

    public ModuleBuilder module() { return mb; }
    public LLVMValueRef param(int i) { return LLVMGetParam(function, i); }

    // ---- constants
    public LLVMValueRef i64(long v) { return LLVMConstInt(mb.i64(), v, 1); }
    public LLVMValueRef i32(int v) { return LLVMConstInt(mb.i32(), v, 1); }
    public LLVMValueRef i1(boolean v) { return LLVMConstInt(mb.i1(), v ? 1 : 0, 0); }
    public LLVMValueRef f32(double v) { return LLVMConstReal(mb.f32(), v); }
    public LLVMValueRef zero(LLVMTypeRef type) { return LLVMConstNull(type); }

    /** The constant vector {@code <start, start+1, ..., start+lanes-1>} of i32. */
    public LLVMValueRef iota(int lanes, int start) {
        LLVMValueRef[] items = new LLVMValueRef[lanes];
        for (int i = 0; i < lanes; i++) items[i] = i32(start + i);
        return LLVMConstVector(Llvm.array(items), lanes);
    }

    // ---- integer arithmetic (nsw: all index arithmetic here is signed and never wraps)
    public LLVMValueRef add(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWAdd(builder, a, b, ""); }
    public LLVMValueRef sub(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWSub(builder, a, b, ""); }
    public LLVMValueRef mul(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildNSWMul(builder, a, b, ""); }
    public LLVMValueRef sdiv(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSDiv(builder, a, b, ""); }
    public LLVMValueRef srem(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSRem(builder, a, b, ""); }
    public LLVMValueRef icmp(int predicate, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildICmp(builder, predicate, a, b, ""); }
    public LLVMValueRef select(LLVMValueRef c, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildSelect(builder, c, a, b, ""); }
    public LLVMValueRef smin(LLVMValueRef a, LLVMValueRef b) { return select(icmp(LLVMIntSLT, a, b), a, b); }
    public LLVMValueRef and(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildAnd(builder, a, b, ""); }
    public LLVMValueRef or(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildOr(builder, a, b, ""); }
    public LLVMValueRef trunc(LLVMValueRef v, LLVMTypeRef t) { return LLVMBuildTrunc(builder, v, t, ""); }
    public LLVMValueRef sext(LLVMValueRef v, LLVMTypeRef t) { return LLVMBuildSExt(builder, v, t, ""); }

    // ---- float arithmetic (scalars or vectors)
    public LLVMValueRef fadd(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFAdd(builder, a, b, ""); }
    public LLVMValueRef fmul(LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFMul(builder, a, b, ""); }
    public LLVMValueRef fcmp(int predicate, LLVMValueRef a, LLVMValueRef b) { return LLVMBuildFCmp(builder, predicate, a, b, ""); }

    /** {@code a*b+c} rounded once, on scalars or vectors of {@code type}. */
    public LLVMValueRef fma(LLVMTypeRef type, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
        return call(mb.intrinsic("llvm.fma", type), a, b, c);
    }

    /** IEEE maxNum: max(x, NaN) = x. */
    public LLVMValueRef maxnum(LLVMTypeRef type, LLVMValueRef a, LLVMValueRef b) {
        return call(mb.intrinsic("llvm.maxnum", type), a, b);
    }

    // ---- memory
    /** {@code base + index * sizeof(element)}. */
    public LLVMValueRef gep(LLVMTypeRef element, LLVMValueRef base, LLVMValueRef index) {
        return LLVMBuildInBoundsGEP2(builder, element, base, Llvm.array(index), 1, "");
    }

    public LLVMValueRef load(LLVMTypeRef type, LLVMValueRef ptr, int align) {
        LLVMValueRef v = LLVMBuildLoad2(builder, type, ptr, "");
        LLVMSetAlignment(v, align);
        return v;
    }

    public void store(LLVMValueRef value, LLVMValueRef ptr, int align) {
        LLVMSetAlignment(LLVMBuildStore(builder, value, ptr), align);
    }

    /** Loads the lanes of {@code vectorType} where {@code mask} is set; the others read as zero. */
    public LLVMValueRef maskedLoad(LLVMTypeRef vectorType, LLVMValueRef ptr, LLVMValueRef mask, int align) {
        return call(mb.intrinsic("llvm.masked.load", vectorType, mb.ptr()), ptr, i32(align), mask, zero(vectorType));
    }

    /** Stores the lanes of {@code value} where {@code mask} is set to consecutive floats from {@code ptr} (AVX-512 vcompressps). */
    public void compressStore(LLVMValueRef value, LLVMValueRef ptr, LLVMValueRef mask) {
        call(mb.intrinsic("llvm.masked.compressstore", LLVMTypeOf(value)), value, ptr, mask);
    }

    /** The number of set lanes of an {@code <n x i1>} mask, as i64. */
    public LLVMValueRef maskCount(LLVMValueRef mask) {
        LLVMTypeRef bits = LLVMIntTypeInContext(mb.context(), LLVMGetVectorSize(LLVMTypeOf(mask)));
        LLVMValueRef n = call(mb.intrinsic("llvm.ctpop", bits), LLVMBuildBitCast(builder, mask, bits, ""));
        return LLVMBuildZExt(builder, n, mb.i64(), "");
    }

    /** The lanes of {@code value} where {@code mask} is set, moved to the lowest lanes (AVX-512 vcompressps, register form). */
    public LLVMValueRef compress(LLVMValueRef value, LLVMValueRef mask) {
        LLVMTypeRef t = LLVMTypeOf(value);
        return call(mb.intrinsic("llvm.x86.avx512.mask.compress", t), value, zero(t), mask);
    }

    public void maskedStore(LLVMValueRef value, LLVMValueRef ptr, LLVMValueRef mask, int align) {
        call(mb.intrinsic("llvm.masked.store", LLVMTypeOf(value), mb.ptr()), value, ptr, i32(align), mask);
    }

    /**
     * Hints the cache to fetch {@code ptr}: for reading or writing, into every level
     * ({@code locality} 3, x86 prefetcht0/prefetchw) down to only the outer ones (1-2: prefetcht2/t1).
     */
    public void prefetch(LLVMValueRef ptr, boolean forWrite, int locality) {
        call(mb.intrinsic("llvm.prefetch", mb.ptr()), ptr, i32(forWrite ? 1 : 0), i32(locality), i32(1));
    }

    // ---- vectors
    /** A vector of {@code lanes} copies of the scalar {@code v}. */
    public LLVMValueRef splat(LLVMValueRef v, int lanes) {
        LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(v), lanes);
        LLVMValueRef one = LLVMBuildInsertElement(builder, LLVMGetPoison(vt), v, i32(0), "");
        return LLVMBuildShuffleVector(builder, one, LLVMGetPoison(vt), LLVMConstNull(LLVMVectorType(mb.i32(), lanes)), "");
    }

    public LLVMValueRef extract(LLVMValueRef vector, int lane) { return LLVMBuildExtractElement(builder, vector, i32(lane), ""); }

    /** Lane {@code i} of the result is lane {@code mask[i]} of {@code a} followed by {@code b} (LLVM shufflevector). */
    public LLVMValueRef shuffle(LLVMValueRef a, LLVMValueRef b, int[] mask) {
        LLVMValueRef[] items = new LLVMValueRef[mask.length];
        for (int i = 0; i < mask.length; i++) items[i] = i32(mask[i]);
        return LLVMBuildShuffleVector(builder, a, b, LLVMConstVector(Llvm.array(items), mask.length), "");
    }

    /** A vector of copies of lane 0 of {@code v}. */
    public LLVMValueRef broadcastLane0(LLVMValueRef v) {
        int lanes = LLVMGetVectorSize(LLVMTypeOf(v));
        return LLVMBuildShuffleVector(builder, v, LLVMGetPoison(LLVMTypeOf(v)), LLVMConstNull(LLVMVectorType(mb.i32(), lanes)), "");
    }

    /** Lanes {@code i} of a vector where {@code first + i < limit} (i64 scalars). */
    public LLVMValueRef laneMask(int lanes, LLVMValueRef first, LLVMValueRef limit) {
        LLVMValueRef left = trunc(sub(limit, first), mb.i32());
        return icmp(LLVMIntSLT, iota(lanes, 0), splat(left, lanes));
    }

    // ---- calls and control flow
    public LLVMValueRef call(ModuleBuilder.Callee callee, LLVMValueRef... args) {
        return LLVMBuildCall2(builder, callee.type(), callee.function(), Llvm.array(args), args.length, "");
    }

    public void ret(LLVMValueRef v) { LLVMBuildRet(builder, v); }
    public void retVoid() { LLVMBuildRetVoid(builder); }

    /** Emits {@code then} only where {@code condition} holds. */
    public void ifThen(LLVMValueRef condition, Runnable then) {
        LLVMBasicBlockRef thenBlock = LLVMAppendBasicBlockInContext(mb.context(), function, "then");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(mb.context(), function, "endif");
        LLVMBuildCondBr(builder, condition, thenBlock, join);
        LLVMPositionBuilderAtEnd(builder, thenBlock);
        then.run();
        LLVMBuildBr(builder, join);
        LLVMPositionBuilderAtEnd(builder, join);
    }

    /** Emits {@code then} where {@code condition} holds and {@code otherwise} elsewhere. */
    public void ifThenElse(LLVMValueRef condition, Runnable then, Runnable otherwise) {
        LLVMBasicBlockRef thenBlock = LLVMAppendBasicBlockInContext(mb.context(), function, "then");
        LLVMBasicBlockRef elseBlock = LLVMAppendBasicBlockInContext(mb.context(), function, "else");
        LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(mb.context(), function, "endif");
        LLVMBuildCondBr(builder, condition, thenBlock, elseBlock);
        LLVMPositionBuilderAtEnd(builder, thenBlock);
        then.run();
        LLVMBuildBr(builder, join);
        LLVMPositionBuilderAtEnd(builder, elseBlock);
        otherwise.run();
        LLVMBuildBr(builder, join);
        LLVMPositionBuilderAtEnd(builder, join);
    }

    /** {@code for (iv = from; iv < to; iv += step) body(iv)} over i64. */
    public void forRange(LLVMValueRef from, LLVMValueRef to, LLVMValueRef step, Consumer<LLVMValueRef> body) {
        forRange(from, to, step, List.of(), (iv, carried) -> {
            body.accept(iv);
            return List.of();
        });
    }

    /** A loop body that takes the induction variable and the values carried from the previous iteration, and returns the next ones. */
    @FunctionalInterface
    public interface LoopBody {
        List<LLVMValueRef> emit(LLVMValueRef iv, List<LLVMValueRef> carried);
    }

    /**
     * {@code for (iv = from; iv < to; iv += step)} with loop-carried values (e.g. accumulators
     * kept in registers). Returns the carried values after the loop.
     */
    public List<LLVMValueRef> forRange(LLVMValueRef from, LLVMValueRef to, LLVMValueRef step, List<LLVMValueRef> init, LoopBody body) {
        LLVMBasicBlockRef pre = LLVMGetInsertBlock(builder);
        LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(mb.context(), function, "loop");
        LLVMBasicBlockRef bodyBlock = LLVMAppendBasicBlockInContext(mb.context(), function, "body");
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(mb.context(), function, "exit");
        LLVMBuildBr(builder, header);
        LLVMPositionBuilderAtEnd(builder, header);
        LLVMValueRef iv = LLVMBuildPhi(builder, mb.i64(), "iv");
        List<LLVMValueRef> phis = new ArrayList<>();
        for (LLVMValueRef v : init) phis.add(LLVMBuildPhi(builder, LLVMTypeOf(v), ""));
        LLVMBuildCondBr(builder, icmp(LLVMIntSLT, iv, to), bodyBlock, exit);
        LLVMPositionBuilderAtEnd(builder, bodyBlock);
        List<LLVMValueRef> next = body.emit(iv, List.copyOf(phis));
        if (next.size() != phis.size()) throw new IllegalStateException("loop body returned " + next.size() + " values for " + phis.size() + " carried");
        LLVMValueRef ivNext = add(iv, step);
        LLVMBasicBlockRef latch = LLVMGetInsertBlock(builder);
        LLVMBuildBr(builder, header);
        LLVMAddIncoming(iv, from, pre, 1);
        LLVMAddIncoming(iv, ivNext, latch, 1);
        for (int i = 0; i < phis.size(); i++) {
            LLVMAddIncoming(phis.get(i), init.get(i), pre, 1);
            LLVMAddIncoming(phis.get(i), next.get(i), latch, 1);
        }
        LLVMPositionBuilderAtEnd(builder, exit);
        return phis;
    }

    @Override public void close() {
        if (builder != null) {
            LLVMDisposeBuilder(builder);
            builder = null;
        }
    }
}
