package org.dlm.backend.llvm.codegen;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.LlvmAccess;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.Stmt;

/**
 * Kernel IR → LLVM IR: one entry function {@code void NAME(ptr inputs, ptr outputs, ptr params,
 * ptr arena, i64 threads)} where {@code inputs}/{@code outputs} are tables of tensor addresses in
 * signature order, {@code params} the parameter block and {@code arena} the temporaries' memory.
 * Loops become canonical counted loops (locals as allocas that mem2reg promotes) that LLVM's loop
 * vectorizer widens; exp/log/tanh/erf are inline polynomial approximations so that loops using
 * them still vectorize; GEMM calls go to the process-wide {@link SharedGemmKernels} by address, with
 * packing buffers in the arena after the planned temporaries.
 *
 * <pre>{@code
 * try (ModuleBuilder mb = new ModuleBuilder("m", host)) {
 *     KernelCodegen.emit(mb, lowered.module(), "dlm_run");
 *     mb.optimize();
 * }
 * }</pre>
 */
public final class KernelCodegen {
    private final ModuleBuilder mb;
    private final LLVMContextRef ctx;
    private final LLVMModuleRef mod;
    private final LLVMBuilderRef b;
    private LLVMBuilderRef allocas;
    private LLVMValueRef fn;
    private final Map<String, LLVMValueRef> bases = new HashMap<>();
    private final Map<String, LLVMValueRef> vars = new HashMap<>();
    private long scratchOffset, scratchBytes;
    private final MathEmitter math;

    private KernelCodegen(ModuleBuilder mb) {
        this.mb = mb;
        this.ctx = LlvmAccess.context(mb);
        this.mod = LlvmAccess.module(mb);
        this.b = LLVMCreateBuilderInContext(ctx);
        this.math = new MathEmitter(this);
    }

    /**
     * Emits {@code m} as the exported function {@code entry} into {@code mb}. Returns the arena size
     * the code needs: the planned temporaries plus the microkernels' scratch (GEMM packing buffers)
     * placed after them.
     */
    public static long emit(ModuleBuilder mb, KernelModule m, String entry) {
        KernelCodegen g = new KernelCodegen(mb);
        g.scratchOffset = align(m.arenaBytes());
        try {
            g.entry(m, entry);
            return g.scratchOffset + g.scratchBytes;
        } finally {
            LLVMDisposeBuilder(g.b);
            if (g.allocas != null) LLVMDisposeBuilder(g.allocas);
        }
    }

    // ---- types and constants
    LLVMTypeRef ptr() { return mb.ptr(); }
    LLVMTypeRef i1() { return mb.i1(); }
    LLVMTypeRef i8() { return mb.i8(); }
    LLVMTypeRef i32() { return mb.i32(); }
    LLVMTypeRef i64() { return mb.i64(); }
    LLVMTypeRef f32() { return mb.f32(); }
    LLVMBuilderRef builder() { return b; }
    ModuleBuilder module() { return mb; }

    /** Register type of a dtype (bool is i1). */
    LLVMTypeRef reg(DType t) {
        return switch (t) {
            case F32 -> mb.f32();
            case F64 -> mb.f64();
            case I32 -> mb.i32();
            case I64 -> mb.i64();
            case I8, U8 -> mb.i8();
            case BOOL -> mb.i1();
            default -> throw new UnsupportedOperationException("no code generation for " + t.text());
        };
    }

    /** Memory type of a dtype (bool is a byte). */
    LLVMTypeRef mem(DType t) { return t == DType.BOOL ? mb.i8() : reg(t); }

    LLVMValueRef constant(DType t, double v) {
        if (t.isFloating()) return LLVMConstReal(reg(t), v);
        if (t == DType.BOOL) return LLVMConstInt(mb.i1(), v != 0 ? 1 : 0, 0);
        return LLVMConstInt(reg(t), (long) v, 1);
    }

    LLVMValueRef fconst(LLVMTypeRef t, double v) { return LLVMConstReal(t, v); }
    LLVMValueRef i64(long v) { return LLVMConstInt(mb.i64(), v, 1); }
    LLVMValueRef i32(long v) { return LLVMConstInt(mb.i32(), v, 1); }

    static PointerPointer<Pointer> array(LLVMValueRef... items) {
        PointerPointer<Pointer> pp = new PointerPointer<>(Math.max(1, items.length));
        for (int i = 0; i < items.length; i++) pp.put(i, items[i]);
        return pp;
    }

    LLVMValueRef call(ModuleBuilder.Callee callee, LLVMValueRef... args) {
        return LLVMBuildCall2(b, callee.type(), callee.function(), array(args), args.length, "");
    }

    LLVMValueRef intrinsic(String name, LLVMTypeRef type, LLVMValueRef... args) {
        return call(mb.intrinsic(name, type), args);
    }

    // ---- the entry function

    private void entry(KernelModule m, String name) {
        fn = mb.function(name, mb.voidType(), ptr(), ptr(), ptr(), ptr(), mb.i64());
        for (int i = 1; i <= 4; i++) mb.addEnum(fn, i, "nocapture");
        LLVMBasicBlockRef entryBlock = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
        LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(ctx, fn, "start");
        allocas = LLVMCreateBuilderInContext(ctx);
        LLVMPositionBuilderAtEnd(allocas, entryBlock);
        LLVMPositionBuilderAtEnd(b, entryBlock);
        for (Buffer buf : m.buffers()) {
            LLVMValueRef base = switch (buf.kind()) {
                case INPUT -> LLVMBuildLoad2(b, ptr(), gepBytes(LLVMGetParam(fn, 0), 8L * buf.slot()), buf.name());
                case OUTPUT -> LLVMBuildLoad2(b, ptr(), gepBytes(LLVMGetParam(fn, 1), 8L * buf.slot()), buf.name());
                case PARAM -> gepBytes(LLVMGetParam(fn, 2), buf.offset());
                case TEMP -> gepBytes(LLVMGetParam(fn, 3), buf.offset());
            };
            bases.put(buf.name(), base);
        }
        LLVMPositionBuilderAtEnd(b, start);
        for (Stmt s : m.body()) stmt(s);
        LLVMBuildRetVoid(b);
        LLVMBuildBr(allocas, start);   // entry block: allocas and buffer bases, then the body
    }

    private LLVMValueRef gepBytes(LLVMValueRef base, long bytes) {
        if (bytes == 0) return base;
        return LLVMBuildInBoundsGEP2(b, mb.i8(), base, array(i64(bytes)), 1, "");
    }

    private LLVMValueRef alloca(LLVMTypeRef t, String name) {
        return LLVMBuildAlloca(allocas, t, name);
    }

    // ---- statements

    private void stmt(Stmt s) {
        switch (s) {
            case Stmt.Loop l -> loop(l);
            case Stmt.Store st -> {
                LLVMValueRef v = expr(st.value());
                if (st.buffer().dtype() == DType.BOOL) v = LLVMBuildZExt(b, v, mb.i8(), "");
                LLVMValueRef p = element(st.buffer(), st.index());
                LLVMSetAlignment(LLVMBuildStore(b, v, p), st.buffer().dtype().byteSize());
            }
            case Stmt.Declare d -> {
                LLVMValueRef slot = alloca(reg(d.type()), d.name());
                vars.put(d.name(), slot);
                LLVMBuildStore(b, expr(d.init()), slot);
            }
            case Stmt.Assign a -> LLVMBuildStore(b, expr(a.value()), vars.get(a.name()));
            case Stmt.If i -> {
                LLVMBasicBlockRef then = LLVMAppendBasicBlockInContext(ctx, fn, "then");
                LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(ctx, fn, "endif");
                LLVMBuildCondBr(b, expr(i.cond()), then, join);
                LLVMPositionBuilderAtEnd(b, then);
                i.then().forEach(this::stmt);
                LLVMBuildBr(b, join);
                LLVMPositionBuilderAtEnd(b, join);
            }
            case Stmt.Call c -> call(c);
        }
    }

    private void loop(Stmt.Loop l) {
        LLVMValueRef iv = alloca(mb.i64(), l.var());
        vars.put(l.var(), iv);
        LLVMValueRef extent = expr(l.extent());
        LLVMBuildStore(b, i64(0), iv);
        LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(ctx, fn, "loop");
        LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(ctx, fn, "body");
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(ctx, fn, "exit");
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, header);
        LLVMValueRef i = LLVMBuildLoad2(b, mb.i64(), iv, "");
        LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, i, extent, ""), body, exit);
        LLVMPositionBuilderAtEnd(b, body);
        l.body().forEach(this::stmt);
        LLVMValueRef cur = LLVMBuildLoad2(b, mb.i64(), iv, "");
        LLVMBuildStore(b, LLVMBuildNSWAdd(b, cur, i64(l.step()), ""), iv);
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, exit);
    }

    private LLVMValueRef element(Buffer buf, Expr index) {
        LLVMValueRef base = bases.get(buf.name());
        if (base == null) throw new IllegalStateException("buffer %" + buf.name() + " is not declared");
        return LLVMBuildInBoundsGEP2(b, mem(buf.dtype()), base, array(expr(index)), 1, "");
    }

    private void call(Stmt.Call c) {
        String k = c.kernel();
        if (!k.startsWith("sgemm_")) throw new UnsupportedOperationException("no microkernel " + k);
        LLVMValueRef[] args = new LLVMValueRef[13];
        for (int i = 0; i < 11; i++) {
            args[i] = switch (c.args().get(i)) {
                case Stmt.ScalarArg s -> expr(s.value());
                case Stmt.PtrArg p -> element(p.buffer(), p.offset());
                case Stmt.NullArg n -> LLVMConstNull(ptr());
            };
        }
        GemmConfig cfg = SharedGemmKernels.config(k, mb.target());
        long packA = align(cfg.packASize() * 4), packB = align(cfg.packBSize() * 4);
        scratchBytes = Math.max(scratchBytes, packA + packB);
        args[11] = gepBytes(LLVMGetParam(fn, 3), scratchOffset);
        args[12] = gepBytes(LLVMGetParam(fn, 3), scratchOffset + packA);
        LLVMTypeRef[] p = {i64(), i64(), i64(), ptr(), i64(), ptr(), i64(), ptr(), i64(), i32(), ptr(), ptr(), ptr()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMValueRef target = LLVMConstIntToPtr(i64(SharedGemmKernels.address(k, mb.target())), ptr());
        LLVMBuildCall2(b, type, target, array(args), args.length, "");
    }

    private static long align(long bytes) { return (bytes + 63) / 64 * 64; }

    // ---- expressions

    LLVMValueRef expr(Expr e) {
        return switch (e) {
            case Expr.Const c -> constant(c.type(), c.value());
            case Expr.Var v -> {
                LLVMValueRef slot = vars.get(v.name());
                if (slot == null) throw new IllegalStateException("variable %" + v.name() + " is not defined");
                yield LLVMBuildLoad2(b, reg(v.type()), slot, "");
            }
            case Expr.Load l -> {
                LLVMValueRef v = LLVMBuildLoad2(b, mem(l.buffer().dtype()), element(l.buffer(), l.index()), "");
                LLVMSetAlignment(v, l.buffer().dtype().byteSize());
                yield l.buffer().dtype() == DType.BOOL ? LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(mb.i8(), 0, 0), "") : v;
            }
            case Expr.Select s -> {
                LLVMValueRef c = expr(s.cond());
                yield LLVMBuildSelect(b, c, expr(s.a()), expr(s.b()), "");
            }
            case Expr.Cast c -> cast(expr(c.a()), c.a().type(), c.type());
            case Expr.Unary u -> unary(u.op(), expr(u.a()), u.a().type());
            case Expr.Binary bi -> binary(bi.op(), expr(bi.a()), expr(bi.b()), bi.a().type());
        };
    }

    private LLVMValueRef cast(LLVMValueRef v, DType from, DType to) {
        if (from == to) return v;
        LLVMTypeRef t = reg(to);
        if (to == DType.BOOL) return from.isFloating() ? LLVMBuildFCmp(b, LLVMRealUNE, v, fconst(reg(from), 0), "") : LLVMBuildICmp(b, LLVMIntNE, v, LLVMConstInt(reg(from), 0, 0), "");
        if (from.isFloating() && to.isFloating()) return from.byteSize() < to.byteSize() ? LLVMBuildFPExt(b, v, t, "") : LLVMBuildFPTrunc(b, v, t, "");
        if (from.isFloating()) return LLVMBuildFPToSI(b, v, t, "");
        boolean unsigned = from == DType.BOOL || from == DType.U8;
        if (to.isFloating()) return unsigned ? LLVMBuildUIToFP(b, v, t, "") : LLVMBuildSIToFP(b, v, t, "");
        int fb = from == DType.BOOL ? 0 : from.byteSize(), tbytes = to.byteSize();
        if (fb < tbytes) return unsigned ? LLVMBuildZExt(b, v, t, "") : LLVMBuildSExt(b, v, t, "");
        return LLVMBuildTrunc(b, v, t, "");
    }

    private LLVMValueRef unary(Expr.UnOp op, LLVMValueRef x, DType t) {
        LLVMTypeRef ty = reg(t);
        boolean f = t.isFloating();
        return switch (op) {
            case NEG -> f ? LLVMBuildFNeg(b, x, "") : LLVMBuildNeg(b, x, "");
            case ABS -> f ? intrinsic("llvm.fabs", ty, x) : call(mb.intrinsic("llvm.abs", ty), x, LLVMConstInt(mb.i1(), 0, 0));
            case EXP -> t == DType.F32 ? math.exp(x) : intrinsic("llvm.exp", ty, x);
            case LOG -> t == DType.F32 ? math.log(x) : intrinsic("llvm.log", ty, x);
            case SQRT -> intrinsic("llvm.sqrt", ty, x);
            case SIN -> intrinsic("llvm.sin", ty, x);
            case COS -> intrinsic("llvm.cos", ty, x);
            case TANH -> math.tanh(x, ty);
            case ERF -> math.erf(x, ty);
            case FLOOR -> f ? intrinsic("llvm.floor", ty, x) : x;
            case CEIL -> f ? intrinsic("llvm.ceil", ty, x) : x;
            case ROUND -> f ? intrinsic("llvm.roundeven", ty, x) : x;
            case NOT -> LLVMBuildXor(b, x, LLVMConstInt(mb.i1(), 1, 0), "");
            case ISNAN -> f ? LLVMBuildFCmp(b, LLVMRealUNO, x, x, "") : LLVMConstInt(mb.i1(), 0, 0);
        };
    }

    private LLVMValueRef binary(Expr.BinOp op, LLVMValueRef x, LLVMValueRef y, DType t) {
        LLVMTypeRef ty = reg(t);
        boolean f = t.isFloating(), u = t == DType.BOOL || t == DType.U8;
        return switch (op) {
            case ADD -> f ? LLVMBuildFAdd(b, x, y, "") : LLVMBuildAdd(b, x, y, "");
            case SUB -> f ? LLVMBuildFSub(b, x, y, "") : LLVMBuildSub(b, x, y, "");
            case MUL -> f ? LLVMBuildFMul(b, x, y, "") : LLVMBuildMul(b, x, y, "");
            case DIV -> f ? LLVMBuildFDiv(b, x, y, "") : u ? LLVMBuildUDiv(b, x, y, "") : LLVMBuildSDiv(b, x, y, "");
            case REM -> f ? LLVMBuildFRem(b, x, y, "") : u ? LLVMBuildURem(b, x, y, "") : LLVMBuildSRem(b, x, y, "");
            case MAX -> f ? intrinsic("llvm.maximum", ty, x, y) : intrinsic(u ? "llvm.umax" : "llvm.smax", ty, x, y);
            case MIN -> f ? intrinsic("llvm.minimum", ty, x, y) : intrinsic(u ? "llvm.umin" : "llvm.smin", ty, x, y);
            case POW -> f ? intrinsic("llvm.pow", ty, x, y) : math.ipow(x, y, ty);
            case EQ -> f ? LLVMBuildFCmp(b, LLVMRealOEQ, x, y, "") : LLVMBuildICmp(b, LLVMIntEQ, x, y, "");
            case NE -> f ? LLVMBuildFCmp(b, LLVMRealUNE, x, y, "") : LLVMBuildICmp(b, LLVMIntNE, x, y, "");
            case LT -> f ? LLVMBuildFCmp(b, LLVMRealOLT, x, y, "") : LLVMBuildICmp(b, u ? LLVMIntULT : LLVMIntSLT, x, y, "");
            case LE -> f ? LLVMBuildFCmp(b, LLVMRealOLE, x, y, "") : LLVMBuildICmp(b, u ? LLVMIntULE : LLVMIntSLE, x, y, "");
            case GT -> f ? LLVMBuildFCmp(b, LLVMRealOGT, x, y, "") : LLVMBuildICmp(b, u ? LLVMIntUGT : LLVMIntSGT, x, y, "");
            case GE -> f ? LLVMBuildFCmp(b, LLVMRealOGE, x, y, "") : LLVMBuildICmp(b, u ? LLVMIntUGE : LLVMIntSGE, x, y, "");
            case AND -> LLVMBuildAnd(b, x, y, "");
            case OR -> LLVMBuildOr(b, x, y, "");
            case XOR -> LLVMBuildXor(b, x, y, "");
            case SHR -> LLVMBuildLShr(b, x, y, "");
        };
    }

}
