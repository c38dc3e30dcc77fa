package org.dlm.backend.llvm.codegen;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBasicBlockRef;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.dlm.backend.llvm.ConvWeightGradGenerator;
import org.dlm.backend.llvm.DirectConvGenerator;
import org.dlm.backend.llvm.GemmConfig;
import org.dlm.backend.llvm.GemmFlags;
import org.dlm.backend.llvm.GemmGenerator;
import org.dlm.backend.llvm.LlvmAccess;
import org.dlm.backend.llvm.ModuleBuilder;
import org.dlm.backend.llvm.ThreadPoolModule;
import org.dlm.ir.DType;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.KernelModule;
import org.dlm.ir.kernel.Microkernels;
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
    // the module being emitted into: one of parts (the entry's is parts[0])
    private ModuleBuilder mb;
    private LLVMContextRef ctx;
    private LLVMBuilderRef b;
    private int part;
    private final List<ModuleBuilder> parts;
    private final LLVMBuilderRef[] builders;
    private final double[] partWork;
    private final MathEmitter math;
    private final int maxThreads;
    private final double minParallelWork;
    private final boolean constantParams;
    private long paramEnd;   // end of the parameter block, prepacked operands included
    private final Map<Prepack, Long> prepacks = new java.util.LinkedHashMap<>();   // byte offset in the parameter block
    private final java.util.Set<String> writtenParams = new java.util.HashSet<>();   // parameters the code stores into (never prepacked)
    private KernelModule kernels;
    private String entryName;
    private int outlined, statements;
    private long scratchOffset, slotBytes, privateBytes;
    private int depth;   // loops and ifs around the statement being emitted
    private final Map<String, Integer> topLevelUses = new HashMap<>();   // top-level statements touching each buffer
    private final Map<StatementKey, String> statementFunctions = new HashMap<>();
    private final Map<StatementKey, Integer> keyCounts = new HashMap<>();   // top-level statements per key
    /** System property {@code dlm.llvm.shareStatements=false}: every statement its own function (for A/B measurements of the generated code). */
    private final boolean shareStatements = Boolean.parseBoolean(System.getProperty("dlm.llvm.shareStatements", "true"));
    /**
     * System property {@code dlm.llvm.profile=true}: the entry adds the cycles
     * ({@code llvm.readcyclecounter}) each top-level statement takes to slot N of the exported
     * global {@code <entry>_profile} ({@code i64[statements]}), for {@code dlmc bench --profile}
     * style per-statement timing (see {@code LlvmExecutable.statementCycles}).
     */
    public static final String PROFILE_PROPERTY = "dlm.llvm.profile";
    /** The suffix of the entry's per-statement cycle counters (see {@link #PROFILE_PROPERTY}). */
    public static final String PROFILE = "_profile";
    private final boolean profile = Boolean.getBoolean(PROFILE_PROPERTY);
    // the function being emitted (the entry, or a loop body outlined for the thread pool)
    private LLVMBuilderRef allocas;
    private LLVMValueRef fn;
    private Map<String, LLVMValueRef> bases = new HashMap<>();
    private Map<String, LLVMValueRef> vars = new HashMap<>();
    private LLVMValueRef[] tables;   // inputs, outputs, params, arena of the entry call
    private LLVMValueRef worker;     // this thread's worker index inside an outlined body, else null
    private LLVMValueRef threads;    // the entry's thread count, clamped to [1, maxThreads]

    private KernelCodegen(List<ModuleBuilder> parts, int maxThreads, long minParallelWork, boolean constantParams) {
        this.parts = List.copyOf(parts);
        this.maxThreads = maxThreads;
        this.minParallelWork = minParallelWork;
        this.constantParams = constantParams;
        this.builders = new LLVMBuilderRef[parts.size()];
        for (int i = 0; i < builders.length; i++) builders[i] = LLVMCreateBuilderInContext(LlvmAccess.context(parts.get(i)));
        this.partWork = new double[parts.size()];
        use(0);
        this.math = new MathEmitter(this);
    }

    /** Emits into part {@code p} from now on (each part is a module in a context of its own). */
    private void use(int p) {
        part = p;
        mb = parts.get(p);
        ctx = LlvmAccess.context(mb);
        b = builders[p];
    }

    /** Work (in {@link LoopAnalysis#work} units, about scalar operations) below which a parallel loop or GEMM runs inline. */
    public static final long DEFAULT_MIN_PARALLEL_WORK = 200_000;

    /**
     * A GEMM alone at the top level (not one of a loop of calls, e.g. batch-1 layers) needs this
     * many times {@code minParallelWork} to be split unconditionally: between calls in a loop the
     * workers are still spinning, while a lone call may have to wake them, and on a shared machine
     * the hand-off then costs more than a small split saves (measured: resnet20 batch 1 got 10 %
     * slower). Below that it is split only over hot workers (see {@link #HOT_WORK_DIVISOR}).
     */
    static final long LONE_GEMM_FACTOR = 4;

    /**
     * Work from {@code minParallelWork / HOT_WORK_DIVISOR} up is split too, but only while the
     * pool's workers are hot ({@code dlm_parallel_for_hot}): inside an executable call (a pool
     * session) on a calm machine an idle worker spins, so a hand-off costs about a microsecond
     * instead of a futex wake-up, and batch-1 layers (a 512×784 linear layer is 50,000 units) pay
     * off on two threads. With cold workers such jobs run inline.
     */
    static final long HOT_WORK_DIVISOR = 10;

    private double hotParallelWork() { return (double) minParallelWork / HOT_WORK_DIVISOR; }

    /** Emits single-threaded code (see {@link #emit(ModuleBuilder, KernelModule, String, int, long)}). */
    public static long emit(ModuleBuilder mb, KernelModule m, String entry) {
        return emit(mb, m, entry, 1, DEFAULT_MIN_PARALLEL_WORK);
    }

    /**
     * Emits {@code m} as the exported function {@code entry} into {@code mb}, for up to
     * {@code maxThreads} threads (the entry's {@code threads} argument is clamped to it): top-level
     * {@code parallel} loops and GEMM calls of at least {@code minParallelWork} units run on the
     * process-wide thread pool. Returns the arena size the code needs: the planned temporaries plus
     * the microkernels' scratch (GEMM packing buffers, one set per thread) placed after them.
     */
    public static long emit(ModuleBuilder mb, KernelModule m, String entry, int maxThreads, long minParallelWork) {
        return emit(List.of(mb), m, entry, maxThreads, minParallelWork, false).arenaBytes();
    }

    /**
     * What {@link #emit(List, KernelModule, String, int, long, boolean)} produced:
     * {@code arenaBytes} of arena, a parameter block of {@code paramBytes} (the module's parameters,
     * then the prepacked GEMM operands) and, when {@code prepacks > 0}, the exported function
     * {@code void <entry>_prepack(ptr params)} (in the first part) that must run once after the
     * parameters are filled.
     */
    public record Emitted(long arenaBytes, long paramBytes, int prepacks) {}

    /** The suffix of the entry's prepacking function (see {@link Emitted}). */
    public static final String PREPACK = "_prepack";

    /**
     * {@link #emit(ModuleBuilder, KernelModule, String, int, long)} with the statement functions
     * spread over {@code parts} by estimated size (the entry goes to the first), so that the
     * modules can be optimized and compiled to machine code concurrently and linked into one JIT:
     * functions called from another part are external, the rest internal. With
     * {@code constantParams} (parameters never change after the prepacking function ran:
     * inference, not training) a GEMM operand that is a parameter at a constant offset with
     * constant sizes is packed once into the BLIS panel layout after the parameters
     * ({@code GemmFlags.PACKED_A/PACKED_B}), so calls skip packing it.
     */
    public static Emitted emit(List<ModuleBuilder> parts, KernelModule m, String entry, int maxThreads, long minParallelWork, boolean constantParams) {
        if (maxThreads < 1) throw new IllegalArgumentException("maxThreads must be >= 1, got " + maxThreads);
        if (parts.isEmpty()) throw new IllegalArgumentException("no module to emit into");
        KernelCodegen g = new KernelCodegen(parts, maxThreads, minParallelWork, constantParams);
        g.scratchOffset = align(m.arenaBytes());
        g.slotBytes = g.gemmScratch(m.body());
        g.paramEnd = align(m.paramBytes());
        written(m.body(), g.writtenParams);
        try {
            g.entry(m, entry);
            if (!g.prepacks.isEmpty()) {
                g.use(0);
                g.prepackFunction(entry + PREPACK);
            }
            return new Emitted(g.privateOffset() + g.privateBytes, g.paramEnd, g.prepacks.size());
        } finally {
            for (LLVMBuilderRef builder : g.builders) LLVMDisposeBuilder(builder);
            if (g.allocas != null) LLVMDisposeBuilder(g.allocas);
        }
    }

    /** Packing scratch of the largest GEMM config any call uses (one thread's share). */
    private long gemmScratch(List<Stmt> body) {
        long most = 0;
        for (Stmt s : body) {
            long need = switch (s) {
                case Stmt.Loop l -> gemmScratch(l.body());
                case Stmt.If i -> gemmScratch(i.then());
                case Stmt.Call c when c.kernel().startsWith("sgemm_") -> {
                    GemmConfig cfg = SharedGemmKernels.config(c, mb.target());
                    yield align(cfg.packASize() * 4) + align(cfg.packBSize() * 4);
                }
                default -> 0;
            };
            most = Math.max(most, need);
        }
        return most;
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
        kernels = m;
        entryName = name;
        fn = mb.function(name, mb.voidType(), ptr(), ptr(), ptr(), ptr(), mb.i64());
        for (int i = 1; i <= 4; i++) mb.addEnum(fn, i, "nocapture");
        LLVMBasicBlockRef start = begin();
        bindBuffers(LLVMGetParam(fn, 0), LLVMGetParam(fn, 1), LLVMGetParam(fn, 2), LLVMGetParam(fn, 3));
        LLVMValueRef t = LLVMGetParam(fn, 4);
        t = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, t, i64(1), ""), i64(1), t, "");
        threads = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSGT, t, i64(maxThreads), ""), i64(maxThreads), t, "threads");
        LLVMPositionBuilderAtEnd(b, start);
        for (Stmt s : m.body())
            for (String buf : LoopAnalysis.buffers(List.of(s)).keySet()) topLevelUses.merge(buf, 1, Integer::sum);
        for (Stmt s : m.body())
            if ((s instanceof Stmt.Loop || s instanceof Stmt.Call || s instanceof Stmt.If) && sharable(s))
                keyCounts.merge(StatementKey.of(s, new java.util.ArrayList<>(LoopAnalysis.buffers(List.of(s)).values())), 1, Integer::sum);
        LLVMValueRef counters = null;
        ModuleBuilder.Callee clock = null;
        if (profile) {
            LLVMTypeRef array = LLVMArrayType(i64(), Math.max(1, m.body().size()));
            counters = LLVMAddGlobal(LlvmAccess.module(mb), array, name + PROFILE);
            LLVMSetInitializer(counters, LLVMConstNull(array));
            clock = mb.intrinsic("llvm.readcyclecounter");
        }
        int index = 0;
        for (Stmt s : m.body()) {
            LLVMValueRef t0 = profile ? call(clock) : null;
            if (outlinable(s)) statementFunction(s);
            else stmt(s);
            if (profile) {
                LLVMValueRef at = LLVMBuildInBoundsGEP2(b, i64(), counters, array(i64(index)), 1, "");
                LLVMValueRef spent = LLVMBuildSub(b, call(clock), t0, "");
                LLVMBuildStore(b, LLVMBuildAdd(b, LLVMBuildLoad2(b, i64(), at, ""), spent, ""), at);
            }
            index++;
        }
        if (outlined > 0) {
            // a session around the call: the pool's workers stay hot between its (many, small) jobs
            poolCall(allocas, ThreadPoolModule.ENTER);
            poolCall(b, ThreadPoolModule.LEAVE);
        }
        finish(start);
    }

    /** {@code void symbol(i64 threads)} at {@code at} (the pool's session enter or leave). */
    private void poolCall(LLVMBuilderRef at, String symbol) {
        LLVMTypeRef[] p = {i64()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), 1, 0);
        LLVMBuildCall2(at, type, shared(symbol, type), array(threads), 1, "");
    }

    /**
     * Top-level loop nests and calls each become a function of their own ({@code noinline}), so
     * LLVM optimizes many small functions instead of one huge one: its cost grows faster than
     * linearly with a function's size (a ResNet-20 training step took minutes as one function).
     * Statements that read or assign variables declared at the top level stay inline.
     */
    private boolean outlinable(Stmt s) {
        return worker == null && depth == 0
                && (s instanceof Stmt.Loop || s instanceof Stmt.Call || s instanceof Stmt.If)
                && (vars.isEmpty() || java.util.Collections.disjoint(LoopAnalysis.freeVars(null, List.of(s)).keySet(), vars.keySet()));
    }

    /**
     * {@code s} as {@code void entry_stmtN(ptr inputs, ptr outputs, ptr params, ptr arena, i64 threads,
     * ptr b0, ptr b1, ...)}, called here with the addresses of the buffers it uses that cannot
     * overlap another of them (the others are addressed from the tables at their offsets).
     * Statements equal up to buffer and variable names ({@link StatementKey}: ResNet's repeated
     * layers) share one function; a statement without an equal one keeps the plain signature and
     * constant offsets: with buffer arguments LLVM cannot relate the buffers and versions more
     * loops with run-time overlap checks (MobileNet b64's O3 time tripled). The buffer arguments
     * are {@code noalias} (none overlaps another buffer of the statement): without it, the
     * overlap check of MobileNet's shared 4×4 depthwise statement failed on adjacent arena
     * buffers (its loads reach 20 bytes past the plane) and the scalar loop ran, about 8 % of
     * batch-1 latency.
     */
    private void statementFunction(Stmt s) {
        List<Buffer> used = new java.util.ArrayList<>(LoopAnalysis.buffers(List.of(s)).values());
        StatementKey key = sharable(s) ? StatementKey.of(s, used) : null;
        if (key != null && keyCounts.getOrDefault(key, 0) < 2) key = null;   // unique: keep the constant offsets
        boolean sharable = key != null;
        String name = key == null ? null : statementFunctions.get(key);
        List<Buffer> passed = new java.util.ArrayList<>();
        java.util.Set<String> fixed = new java.util.HashSet<>();
        for (Buffer buf : used) {
            if (sharable && StatementKey.passed(buf, used)) passed.add(buf);
            else fixed.add(buf.name());
        }
        int extra = passed.size();
        if (name == null) {
            name = entryName + "_stmt" + (statements++);
            int home = part, target = lightestPart();
            partWork[target] += LoopAnalysis.size(List.of(s));
            LLVMValueRef outerThreads = threads;
            State saved = enter(null);
            use(target);
            LLVMValueRef f = target == home ? mb.internalFunction(name, mb.voidType(), statementParams(extra)) : mb.function(name, mb.voidType(), statementParams(extra));
            fn = f;
            for (int i = 1; i <= 4; i++) mb.addEnum(f, i, "nocapture");
            // passed buffers overlap no other buffer the statement uses (StatementKey.passed)
            for (int i = 0; i < extra; i++) mb.addEnum(f, 6 + i, "noalias");
            mb.addEnum(f, LLVMAttributeFunctionIndex, "noinline");
            worker = null;
            LLVMBasicBlockRef start = begin();
            bindBuffers(LLVMGetParam(f, 0), LLVMGetParam(f, 1), LLVMGetParam(f, 2), LLVMGetParam(f, 3), fixed);
            for (int i = 0; i < extra; i++) bases.put(passed.get(i).name(), LLVMGetParam(f, 5 + i));
            threads = LLVMGetParam(f, 4);
            LLVMPositionBuilderAtEnd(b, start);
            stmt(s);
            finish(start);
            use(home);
            leave(saved);
            threads = outerThreads;
            if (key != null) statementFunctions.put(key, name);
        }
        LLVMTypeRef[] p = statementParams(extra);
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMValueRef f = LLVMGetNamedFunction(LlvmAccess.module(mb), name);
        if (f == null || f.isNull()) f = LLVMAddFunction(LlvmAccess.module(mb), name, type);   // defined in another part
        LLVMValueRef[] args = new LLVMValueRef[5 + extra];
        args[0] = tables[0]; args[1] = tables[1]; args[2] = tables[2]; args[3] = tables[3]; args[4] = threads;
        for (int i = 0; i < extra; i++) args[5 + i] = bases.get(passed.get(i).name());
        LLVMBuildCall2(b, type, f, array(args), args.length, "");
    }

    /** {@code (ptr inputs, ptr outputs, ptr params, ptr arena, i64 threads, ptr b0, ...)} in the current context. */
    private LLVMTypeRef[] statementParams(int buffers) {
        LLVMTypeRef[] p = new LLVMTypeRef[5 + buffers];
        java.util.Arrays.fill(p, ptr());
        p[4] = i64();
        return p;
    }

    /** The part with the least statement code so far (the entry's part counts its own code too). */
    private int lightestPart() {
        int best = 0;
        for (int i = 1; i < partWork.length; i++) if (partWork[i] < partWork[best]) best = i;
        return best;
    }

    /**
     * Whether {@code s} may share its function with equal statements: not when a loop body may be
     * outlined for the thread pool, since outlined bodies compute buffer addresses from the
     * tables with this statement's own offsets.
     */
    private boolean sharable(Stmt s) {
        return shareStatements && (maxThreads == 1 || !hasParallelLoop(List.of(s))) && !readsPrepacked(List.of(s));
    }

    /**
     * Whether a GEMM in {@code body} reads a parameter that may be prepacked: the packed copy's
     * place depends on which parameter it is, which a function shared by equal statements of
     * other parameters cannot know.
     */
    private boolean readsPrepacked(List<Stmt> body) {
        if (!constantParams) return false;
        for (Stmt s : body) {
            boolean found = switch (s) {
                case Stmt.Loop l -> readsPrepacked(l.body());
                case Stmt.If i -> readsPrepacked(i.then());
                case Stmt.Call c when c.kernel().startsWith("sgemm_") ->
                        c.args().get(3) instanceof Stmt.PtrArg a && a.buffer().kind() == Buffer.Kind.PARAM
                        || c.args().get(5) instanceof Stmt.PtrArg bb && bb.buffer().kind() == Buffer.Kind.PARAM;
                default -> false;
            };
            if (found) return true;
        }
        return false;
    }

    private static boolean hasParallelLoop(List<Stmt> body) {
        for (Stmt s : body) {
            boolean found = switch (s) {
                case Stmt.Loop l -> l.parallel() || hasParallelLoop(l.body());
                case Stmt.If i -> hasParallelLoop(i.then());
                default -> false;
            };
            if (found) return true;
        }
        return false;
    }

    /** Arena offset of the per-thread copies of private scratch buffers (after the GEMM scratch). */
    private long privateOffset() { return scratchOffset + slotBytes * maxThreads; }

    /**
     * Temporaries that only this top-level parallel loop touches: scratch that each iteration
     * writes before reading (such as an im2col matrix per image). Each worker but the first gets its
     * own copy after the GEMM scratch, so the iterations stay independent.
     */
    private Map<String, Buffer> privateScratch(Stmt.Loop l) {
        Map<String, Buffer> own = new java.util.LinkedHashMap<>();
        if (depth != 0 || worker != null) return own;
        for (Buffer buf : LoopAnalysis.buffers(List.of(l)).values())
            if (buf.kind() == Buffer.Kind.TEMP && topLevelUses.getOrDefault(buf.name(), 0) == 1) own.put(buf.name(), buf);
        return own;
    }

    /** Opens {@code fn}: an entry block for allocas and buffer bases (builder {@code b} there), returns the body's first block. */
    private LLVMBasicBlockRef begin() {
        LLVMBasicBlockRef entryBlock = LLVMAppendBasicBlockInContext(ctx, fn, "entry");
        LLVMBasicBlockRef start = LLVMAppendBasicBlockInContext(ctx, fn, "start");
        allocas = LLVMCreateBuilderInContext(ctx);
        LLVMPositionBuilderAtEnd(allocas, entryBlock);
        LLVMPositionBuilderAtEnd(b, entryBlock);
        return start;
    }

    private void finish(LLVMBasicBlockRef start) {
        LLVMBuildRetVoid(b);
        LLVMBuildBr(allocas, start);   // entry block: allocas and buffer bases, then the body
    }

    private void bindBuffers(LLVMValueRef inputs, LLVMValueRef outputs, LLVMValueRef params, LLVMValueRef arena) {
        bindBuffers(inputs, outputs, params, arena, null);
    }

    /** Bases of the buffers named in {@code only} (all when null), computed in the entry block. */
    private void bindBuffers(LLVMValueRef inputs, LLVMValueRef outputs, LLVMValueRef params, LLVMValueRef arena, java.util.Set<String> only) {
        tables = new LLVMValueRef[] {inputs, outputs, params, arena};
        for (Buffer buf : kernels.buffers()) {
            if (only != null && !only.contains(buf.name())) continue;
            LLVMValueRef base = switch (buf.kind()) {
                case INPUT -> LLVMBuildLoad2(b, ptr(), gepBytes(inputs, 8L * buf.slot()), buf.name());
                case OUTPUT -> LLVMBuildLoad2(b, ptr(), gepBytes(outputs, 8L * buf.slot()), buf.name());
                case PARAM -> gepBytes(params, buf.offset());
                case TEMP -> gepBytes(arena, buf.offset());
            };
            bases.put(buf.name(), base);
        }
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
            case Stmt.Loop l -> {
                Map<String, Buffer> own = null;
                boolean candidate = worker == null && maxThreads > 1 && l.parallel() && l.step() == 1;
                double work = candidate ? LoopAnalysis.work(List.of(l)) : 0;
                boolean threaded = candidate && work >= hotParallelWork()
                        && LoopAnalysis.independent(l, (own = privateScratch(l)).keySet());
                if (threaded) parallelLoop(l, own, work < minParallelWork);
                else loop(l);
            }
            case Stmt.Store st -> {
                LLVMValueRef v = expr(st.value());
                if (st.buffer().dtype() == DType.BOOL) v = LLVMBuildZExt(b, v, mb.i8(), "");
                LLVMValueRef p = element(st.buffer(), st.index());
                LLVMValueRef store = LLVMBuildStore(b, v, p);
                LLVMSetAlignment(store, st.buffer().dtype().byteSize());
                tag(store, st.buffer());
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
                depth++;
                i.then().forEach(this::stmt);
                depth--;
                LLVMBuildBr(b, join);
                LLVMPositionBuilderAtEnd(b, join);
            }
            case Stmt.Call c -> call(c);
        }
    }

    private void loop(Stmt.Loop l) {
        countedLoop(l.var(), i64(0), expr(l.extent()), l.step(), l.body(), -1);
    }

    /**
     * {@code for var in [from, to) step step { body }}. With {@code bound >= 0} the body sees the
     * variable as {@code umin(var, bound)}, the same value when {@code var} never exceeds it: an
     * outlined parallel loop runs a range {@code [begin, end)} chosen by the pool, and without a
     * known bound on an outer variable LLVM could not prove the inner loops' index arithmetic
     * free of carries (no {@code nuw}, {@code or} instead of {@code add}), so it no longer
     * combined the lane sums of the batch-norm reductions into vector loads (scalar loads and
     * gathers instead: those loops ran up to 7× slower on two threads than on one).
     */
    private void countedLoop(String var, LLVMValueRef from, LLVMValueRef extent, long step, List<Stmt> stmts, long bound) {
        LLVMValueRef iv = alloca(mb.i64(), var);
        LLVMValueRef view = bound >= 0 ? alloca(mb.i64(), var + "_in") : iv;
        vars.put(var, view);
        LLVMBuildStore(b, from, iv);
        LLVMBasicBlockRef header = LLVMAppendBasicBlockInContext(ctx, fn, "loop");
        LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(ctx, fn, "body");
        LLVMBasicBlockRef exit = LLVMAppendBasicBlockInContext(ctx, fn, "exit");
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, header);
        LLVMValueRef i = LLVMBuildLoad2(b, mb.i64(), iv, "");
        LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSLT, i, extent, ""), body, exit);
        LLVMPositionBuilderAtEnd(b, body);
        if (bound >= 0) LLVMBuildStore(b, call(mb.intrinsic("llvm.umin", mb.i64()), LLVMBuildLoad2(b, mb.i64(), iv, ""), i64(bound)), view);
        depth++;
        stmts.forEach(this::stmt);
        depth--;
        LLVMValueRef cur = LLVMBuildLoad2(b, mb.i64(), iv, "");
        LLVMBuildStore(b, LLVMBuildNSWAdd(b, cur, i64(step), ""), iv);
        LLVMBuildBr(b, header);
        LLVMPositionBuilderAtEnd(b, exit);
    }

    private LLVMValueRef element(Buffer buf, Expr index) {
        LLVMValueRef base = bases.get(buf.name());
        if (base == null) throw new IllegalStateException("buffer %" + buf.name() + " is not declared");
        boolean outer = indexMath;
        indexMath = true;
        try {
            return LLVMBuildInBoundsGEP2(b, mem(buf.dtype()), base, array(expr(index)), 1, "");
        } finally {
            indexMath = outer;
        }
    }

    /**
     * Set while an element index is emitted: its integer adds, subtractions and products get
     * {@code nsw} (an index that overflowed i64 would address nothing valid). Without it, an
     * outlined parallel loop, whose range {@code [begin, end)} comes from the pool, let LLVM prove
     * no bounds on the index arithmetic, and the lane sums of batch-norm reductions were no longer
     * combined into vector loads (scalar loads and gathers instead, several times slower).
     */
    private boolean indexMath;

    /** Private scratch buffers of the outlined parallel loop being emitted (see {@link #tag}). */
    private java.util.Set<String> privateNames = java.util.Set.of();
    private LLVMValueRef privateScope;

    /**
     * Inside an outlined loop with private scratch: the access {@code inst} to {@code buf} gets the
     * scratch's alias scope if {@code buf} is scratch, else {@code noalias} of it. Each worker's
     * scratch copy sits at a run-time place, and without this LLVM had to assume that it may
     * overlap the buffers the loop reads, and left the im2col copies of the convolution
     * gradients scalar on two threads (vectorized on one, where the place is a constant).
     */
    private LLVMMetadataRef node(LLVMMetadataRef... items) {
        PointerPointer<Pointer> pp = new PointerPointer<>(items.length);
        for (int i = 0; i < items.length; i++) pp.put(i, items[i]);
        return LLVMMDNodeInContext2(ctx, pp, items.length);
    }

    private void tag(LLVMValueRef inst, Buffer buf) {
        if (privateNames.isEmpty()) return;
        if (privateScope == null) {
            LLVMMetadataRef domain = node(LLVMMDStringInContext2(ctx, "dlm.private", 11));
            LLVMMetadataRef scope = node(LLVMMDStringInContext2(ctx, "dlm.private.scratch", 19), domain);
            LLVMMetadataRef list = node(scope);
            privateScope = LLVMMetadataAsValue(ctx, list);
        }
        String kind = privateNames.contains(buf.name()) ? "alias.scope" : "noalias";
        LLVMSetMetadata(inst, LLVMGetMDKindIDInContext(ctx, kind, kind.length()), privateScope);
    }

    private void call(Stmt.Call c) {
        String k = c.kernel();
        if (k.equals(Microkernels.SCONV_DIRECT)) {
            directConv(c);
            return;
        }
        if (k.equals(Microkernels.SCONV_WGRAD)) {
            weightGradConv(c);
            return;
        }
        if (!k.startsWith("sgemm_")) throw new UnsupportedOperationException("no microkernel " + k);
        LLVMValueRef[] args = new LLVMValueRef[11];
        for (int i = 0; i < 11; i++) {
            args[i] = switch (c.args().get(i)) {
                case Stmt.ScalarArg s -> expr(s.value());
                case Stmt.PtrArg p -> element(p.buffer(), p.offset());
                case Stmt.NullArg n -> LLVMConstNull(ptr());
            };
        }
        GemmConfig cfg = SharedGemmKernels.config(c, mb.target());
        LLVMValueRef[] packed = {prepacked(c, cfg, true), prepacked(c, cfg, false)};
        int bits = (packed[0] != null ? GemmFlags.PACKED_A : 0) | (packed[1] != null ? GemmFlags.PACKED_B : 0);
        if (bits != 0) args[9] = LLVMBuildOr(b, args[9], i32(bits), "");
        GemmSplit split = worker == null && maxThreads > 1 ? GemmSplit.of(c, cfg, hotParallelWork(), maxThreads, packed[0] != null) : null;
        if (split != null) parallelGemm(cfg, split, args, packed, LoopAnalysis.gemmFlops(c) / 16 < (depth == 0 ? LONE_GEMM_FACTOR * minParallelWork : minParallelWork));
        else gemm(cfg, args, worker == null ? i64(0) : worker, packed);
    }

    /** A {@code sconv_direct} call: the shared convolution specialized on the call's constant shape. */
    private void directConv(Stmt.Call c) {
        long[] v = new long[14];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 13})
            v[i] = (long) ((Expr.Const) ((Stmt.ScalarArg) c.args().get(i)).value()).value();
        var cfg = new DirectConvGenerator.Config(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], mb.target().f32Lanes());
        LLVMValueRef[] args = new LLVMValueRef[5];
        args[4] = i32(v[13]);
        int[] from = {10, 11, 12, 14};
        for (int i = 0; i < 4; i++) {
            args[i] = switch (c.args().get(from[i])) {
                case Stmt.PtrArg p -> element(p.buffer(), p.offset());
                case Stmt.NullArg n -> LLVMConstNull(ptr());
                case Stmt.ScalarArg s -> throw new IllegalStateException("sconv_direct argument " + from[i] + " must be a pointer");
            };
        }
        LLVMTypeRef[] p = {ptr(), ptr(), ptr(), ptr(), i32()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMValueRef target = shared(SharedGemmKernels.symbol(SharedGemmKernels.directConv(cfg)), type);
        LLVMBuildCall2(b, type, target, array(args), args.length, "");
    }

    /** A {@code sconv_wgrad} call: the shared weight gradient specialized on the call's constant shape. */
    private void weightGradConv(Stmt.Call c) {
        long[] v = new long[9];
        for (int i = 0; i < 9; i++) v[i] = (long) ((Expr.Const) ((Stmt.ScalarArg) c.args().get(i)).value()).value();
        var cfg = new ConvWeightGradGenerator.Config(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], mb.target().f32Lanes());
        LLVMValueRef[] args = new LLVMValueRef[3];
        for (int i = 0; i < 3; i++) {
            if (!(c.args().get(9 + i) instanceof Stmt.PtrArg p)) throw new IllegalStateException("sconv_wgrad argument " + (9 + i) + " must be a pointer");
            args[i] = element(p.buffer(), p.offset());
        }
        LLVMTypeRef[] p = {ptr(), ptr(), ptr()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMValueRef target = shared(SharedGemmKernels.symbol(SharedGemmKernels.weightGradConv(cfg)), type);
        LLVMBuildCall2(b, type, target, array(args), args.length, "");
    }

    /** Parameters {@code body} stores into or passes as a GEMM's C. */
    private static void written(List<Stmt> body, java.util.Set<String> out) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Loop l -> written(l.body(), out);
                case Stmt.If i -> written(i.then(), out);
                case Stmt.Store st when st.buffer().kind() == Buffer.Kind.PARAM -> out.add(st.buffer().name());
                case Stmt.Call c -> {
                    if (c.args().get(Microkernels.outputArg(c.kernel())) instanceof Stmt.PtrArg p && p.buffer().kind() == Buffer.Kind.PARAM) out.add(p.buffer().name());
                }
                default -> {}
            }
        }
    }

    /** A GEMM operand packed once: side A or B of the GEMM {@code cfg}, read from a parameter at a constant place. */
    private record Prepack(GemmConfig cfg, boolean sideA, String buffer, long offset, long extent, long k, long ld) {}

    /**
     * The prepacked copy of {@code c}'s A ({@code sideA}) or B operand, or null when it is not a
     * constant parameter with constant sizes, or has so few rows that the GEMM runs unpacked.
     */
    private LLVMValueRef prepacked(Stmt.Call c, GemmConfig cfg, boolean sideA) {
        if (!constantParams) return null;
        List<Stmt.Arg> a = c.args();
        if (!(a.get(sideA ? 3 : 5) instanceof Stmt.PtrArg p) || p.buffer().kind() != Buffer.Kind.PARAM || p.buffer().dtype() != DType.F32
                || !(p.offset() instanceof Expr.Const off) || writtenParams.contains(p.buffer().name())) return null;
        long[] v = new long[3];
        for (int i : new int[] {0, 1, 2}) {
            if (!(a.get(i) instanceof Stmt.ScalarArg sa) || !(sa.value() instanceof Expr.Const k)) return null;
            v[i] = (long) k.value();
        }
        if (!(a.get(sideA ? 4 : 6) instanceof Stmt.ScalarArg la) || !(la.value() instanceof Expr.Const ld)) return null;
        long m = v[0], n = v[1], k = v[2];
        if (m <= GemmGenerator.DIRECT_MAX_ROWS || n < 1 || k < 1) return null;
        Prepack key = new Prepack(cfg, sideA, p.buffer().name(), (long) off.value(), sideA ? m : n, k, (long) ld.value());
        Long at = prepacks.get(key);
        if (at == null) {
            at = paramEnd;
            prepacks.put(key, at);
            paramEnd += align(4 * (sideA ? GemmGenerator.prepackASize(cfg, m, k) : GemmGenerator.prepackBSize(cfg, n, k)));
        }
        return gepBytes(tables[2], at);
    }

    /** {@code void <name>(ptr params)}: packs every prepacked operand from its parameter. */
    private void prepackFunction(String name) {
        LLVMValueRef f = mb.function(name, mb.voidType(), ptr());
        LLVMBasicBlockRef block = LLVMAppendBasicBlockInContext(ctx, f, "entry");
        LLVMPositionBuilderAtEnd(b, block);
        LLVMValueRef params = LLVMGetParam(f, 0);
        LLVMTypeRef[] p = {i64(), i64(), ptr(), i64(), ptr()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        for (Map.Entry<Prepack, Long> e : prepacks.entrySet()) {
            Prepack pp = e.getKey();
            Buffer buf = kernels.buffers().stream().filter(x -> x.name().equals(pp.buffer())).findFirst().orElseThrow();
            LLVMValueRef src = gepBytes(params, buf.offset() + 4 * pp.offset());
            String kernel = SharedGemmKernels.symbol(SharedGemmKernels.gemm(pp.cfg(), mb.target()));
            LLVMValueRef target = shared(kernel + (pp.sideA() ? GemmGenerator.PREPACK_A : GemmGenerator.PREPACK_B), type);
            LLVMBuildCall2(b, type, target, array(i64(pp.extent()), i64(pp.k()), src, i64(pp.ld()), gepBytes(params, e.getValue())), 5, "");
        }
        LLVMBuildRetVoid(b);
    }

    /**
     * One single-threaded GEMM call with the packing scratch of worker {@code slot}; {@code packed}
     * holds the prepacked A and B (null: packed into the scratch by the call).
     */
    private void gemm(GemmConfig cfg, LLVMValueRef[] args, LLVMValueRef slot, LLVMValueRef[] packed) {
        LLVMValueRef scratch = LLVMBuildInBoundsGEP2(b, mb.i8(), tables[3],
                array(LLVMBuildNSWAdd(b, i64(scratchOffset), LLVMBuildNSWMul(b, slot, i64(slotBytes), ""), "")), 1, "");
        LLVMValueRef[] all = java.util.Arrays.copyOf(args, 13);
        all[11] = packed[0] != null ? packed[0] : scratch;
        all[12] = packed[1] != null ? packed[1] : LLVMBuildInBoundsGEP2(b, mb.i8(), scratch, array(i64(align(cfg.packASize() * 4))), 1, "");
        LLVMTypeRef[] p = {i64(), i64(), i64(), ptr(), i64(), ptr(), i64(), ptr(), i64(), i32(), ptr(), ptr(), ptr()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMBuildCall2(b, type, shared(SharedGemmKernels.symbol(SharedGemmKernels.gemm(cfg, mb.target())), type), array(all), all.length, "");
    }

    // ---- the thread pool

    /** A fresh internal function {@code void (ptr ctx, i64 begin, i64 end, i64 worker)} for the pool to run. */
    private LLVMValueRef taskFunction(String what) {
        LLVMValueRef task = mb.internalFunction(entryName + "_" + what + (outlined++), mb.voidType(), ptr(), i64(), i64(), i64());
        mb.addEnum(task, 1, "nocapture");
        return task;
    }

    /** Calls {@code task} over {@code [0, n)} on the pool with the entry's thread count; a {@code small} job only over hot workers. */
    private void parallelFor(LLVMValueRef task, LLVMValueRef context, LLVMValueRef n, boolean small) {
        LLVMTypeRef[] p = {ptr(), ptr(), i64(), i64()};
        LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
        LLVMBuildCall2(b, type, shared(small ? ThreadPoolModule.PARALLEL_FOR_HOT : ThreadPoolModule.PARALLEL_FOR, type), array(task, context, n, threads), 4, "");
    }

    /**
     * The declaration of {@code symbol} of a shared kernel (a GEMM, its prepacking functions, a
     * direct convolution, the pool) in the current module, the kernel's compile started in the
     * background; {@link #linkShared} binds it to its address.
     */
    private LLVMValueRef shared(String symbol, LLVMTypeRef type) {
        SharedGemmKernels.request(SharedGemmKernels.kernelOf(symbol));
        LLVMModuleRef module = LlvmAccess.module(mb);
        LLVMValueRef f = LLVMGetNamedFunction(module, symbol);
        if (f == null || f.isNull()) {
            f = LLVMAddFunction(module, symbol, type);
            mb.addEnum(f, LLVMAttributeFunctionIndex, "nounwind");
        }
        return f;
    }

    /**
     * Starts compiling, in the background, the shared kernels {@code m} calls (and the thread pool
     * when {@code maxThreads > 1}), so that they are ready by the time the module is linked.
     */
    public static void prefetchShared(KernelModule m, int maxThreads) {
        if (maxThreads > 1) SharedGemmKernels.request(SharedGemmKernels.POOL);
        prefetchCalls(m.body());
    }

    private static void prefetchCalls(List<Stmt> body) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.Loop l -> prefetchCalls(l.body());
                case Stmt.If i -> prefetchCalls(i.then());
                case Stmt.Call c when c.kernel().startsWith("sgemm_") -> SharedGemmKernels.request(c.kernel());
                default -> {}
            }
        }
    }

    /**
     * Starts compiling, before lowering tells which are needed, the GEMM kernels a graph almost
     * surely calls: {@code sgemm_nn} for inference; for a training step ({@code training}) also the
     * transposed ones its backward pass uses, slowest first (and the pool when {@code maxThreads > 1}).
     */
    public static void prefetchCommon(int maxThreads, boolean training) {
        if (training) {
            SharedGemmKernels.request("sgemm_nt");
            SharedGemmKernels.request("sgemm_tn");
        }
        SharedGemmKernels.request("sgemm_nn");
        if (maxThreads > 1) SharedGemmKernels.request(SharedGemmKernels.POOL);
    }

    /** The symbols of shared kernels (GEMMs, the pool) that {@code modules} call. */
    public static java.util.Set<String> sharedSymbols(List<ModuleBuilder> modules) {
        java.util.Set<String> symbols = new java.util.TreeSet<>();
        for (ModuleBuilder m : modules) {
            for (LLVMValueRef f = LLVMGetFirstFunction(LlvmAccess.module(m)); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
                if (LLVMIsDeclaration(f) == 0) continue;
                String name = LLVMGetValueName(f).getString();
                if (SharedGemmKernels.kernelOf(name) != null) symbols.add(name);
            }
        }
        return symbols;
    }

    /** Binds the shared kernels that {@code modules} call to their addresses in {@code jit} (see {@link #linkShared(org.dlm.backend.llvm.Jit, java.util.Set)}). */
    public static long linkShared(org.dlm.backend.llvm.Jit jit, ModuleBuilder... modules) {
        return linkShared(jit, sharedSymbols(List.of(modules)));
    }

    /**
     * Binds shared-kernel {@code symbols} to their addresses in {@code jit}, waiting for compiles
     * still in flight. Returns the time spent (mostly waiting).
     */
    public static long linkShared(org.dlm.backend.llvm.Jit jit, java.util.Set<String> symbols) {
        long t0 = System.nanoTime();
        Map<String, Long> addresses = new java.util.TreeMap<>();
        for (String s : symbols) addresses.put(s, SharedGemmKernels.address(s));
        jit.defineAbsolute(addresses);
        return System.nanoTime() - t0;
    }

    /** The emission state of the current function, saved while an outlined body is emitted. */
    private record State(LLVMValueRef fn, LLVMBuilderRef allocas, Map<String, LLVMValueRef> bases, Map<String, LLVMValueRef> vars,
                         LLVMValueRef[] tables, LLVMValueRef worker, LLVMBasicBlockRef block) {}

    private State enter(LLVMValueRef task) {
        State saved = new State(fn, allocas, bases, vars, tables, worker, LLVMGetInsertBlock(b));
        fn = task;
        bases = new HashMap<>();
        vars = new HashMap<>();
        worker = task == null ? null : LLVMGetParam(task, 3);
        return saved;
    }

    private void leave(State s) {
        LLVMDisposeBuilder(allocas);
        fn = s.fn();
        allocas = s.allocas();
        bases = s.bases();
        vars = s.vars();
        tables = s.tables();
        worker = s.worker();
        LLVMPositionBuilderAtEnd(b, s.block());
    }

    /** Slot {@code i} (8 bytes) of a context block. */
    private LLVMValueRef slot(LLVMValueRef context, int i) { return gepBytes(context, 8L * i); }

    /**
     * A parallel loop as an outlined function {@code body(ctx, begin, end, worker)} run by the pool;
     * the context holds the entry's four tables and the values of the outside variables it reads.
     */
    private void parallelLoop(Stmt.Loop l, Map<String, Buffer> own, boolean small) {
        Map<String, DType> free = LoopAnalysis.freeVars(l.var(), l.body());
        List<String> names = new java.util.ArrayList<>(free.keySet());
        LLVMValueRef context = alloca(LLVMArrayType(i64(), 4 + names.size()), "ctx");
        for (int i = 0; i < 4; i++) LLVMBuildStore(b, tables[i], slot(context, i));
        for (int i = 0; i < names.size(); i++) {
            LLVMValueRef v = vars.get(names.get(i));
            if (v == null) throw new IllegalStateException("variable %" + names.get(i) + " is not defined");
            LLVMBuildStore(b, LLVMBuildLoad2(b, reg(free.get(names.get(i))), v, ""), slot(context, 4 + i));
        }
        LLVMValueRef extent = expr(l.extent());
        LLVMValueRef task = taskFunction("loop");
        State saved = enter(task);
        LLVMBasicBlockRef start = begin();
        LLVMValueRef in = LLVMGetParam(task, 0);
        LLVMValueRef[] t = new LLVMValueRef[4];
        for (int i = 0; i < 4; i++) t[i] = LLVMBuildLoad2(b, ptr(), slot(in, i), "");
        bindBuffers(t[0], t[1], t[2], t[3]);
        if (!own.isEmpty()) {
            // worker w uses copy w after the GEMM scratch. Not the planned place for worker 0 and a
            // select: with a select LLVM could not tell the scratch from the buffers the loop reads
            // and left the im2col copies of the convolution gradients scalar; a base of
            // arena + privateOffset + umin(w, threads - 1)·size lies provably after every planned buffer.
            long offset = 0;
            List<Long> at = new java.util.ArrayList<>();
            for (Buffer buf : own.values()) {
                at.add(offset);
                offset += align(buf.byteSize());
            }
            long perWorker = offset;
            privateBytes = Math.max(privateBytes, perWorker * maxThreads);
            LLVMValueRef w = call(mb.intrinsic("llvm.umin", mb.i64()), worker, i64(maxThreads - 1));
            LLVMValueRef copy = LLVMBuildNUWAdd(b, i64(privateOffset()), LLVMBuildNUWMul(b, w, i64(perWorker), ""), "");
            int k = 0;
            for (Buffer buf : own.values())
                bases.put(buf.name(), LLVMBuildInBoundsGEP2(b, mb.i8(), t[3], array(LLVMBuildNUWAdd(b, copy, i64(at.get(k++)), "")), 1, buf.name()));
        }
        for (int i = 0; i < names.size(); i++) {
            LLVMTypeRef type = reg(free.get(names.get(i)));
            LLVMValueRef local = alloca(type, names.get(i));
            LLVMBuildStore(b, LLVMBuildLoad2(b, type, slot(in, 4 + i), ""), local);
            vars.put(names.get(i), local);
        }
        LLVMPositionBuilderAtEnd(b, start);
        // the bound only where the variable is an outer loop's (in a flat loop the umin would
        // make the addresses non-affine and stop the vectorizer)
        boolean nested = l.body().stream().anyMatch(x -> x instanceof Stmt.Loop);
        privateNames = own.keySet();
        privateScope = null;
        try {
            countedLoop(l.var(), LLVMGetParam(task, 1), LLVMGetParam(task, 2), 1, l.body(),
                    nested && l.extent() instanceof org.dlm.ir.kernel.Expr.Const c ? Math.max(0, (long) c.value() - 1) : -1);
        } finally {
            privateNames = java.util.Set.of();
            privateScope = null;
        }
        finish(start);
        leave(saved);
        parallelFor(task, context, extent, small);
    }

    /**
     * A GEMM split over threads (BLIS style): rows of C (M blocks) or columns (N blocks) in
     * multiples of the register tile, a few parts per thread, each with its own packing scratch.
     * A chunk of consecutive parts is one call, so a {@code small} job that the pool runs inline
     * (cold workers) is the unsplit GEMM.
     */
    private void parallelGemm(GemmConfig cfg, GemmSplit split, LLVMValueRef[] args, LLVMValueRef[] packed, boolean small) {
        // parts = min(threads * partsPerThread, units); per = ceil(units / parts) * unit; tasks = ceil(extent / per)
        LLVMValueRef units = i64(split.units());
        // a small (hot-only) GEMM takes one part per thread: the caller claims part 0 first, so each
        // core keeps multiplying the same share of B (batch-1 weights then stay in its L2)
        LLVMValueRef wanted = LLVMBuildNSWMul(b, threads, i64(small ? 1 : split.partsPerThread()), "");
        LLVMValueRef parts = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, wanted, units, ""), wanted, units, "");
        LLVMValueRef per = LLVMBuildNSWMul(b, LLVMBuildSDiv(b, LLVMBuildNSWAdd(b, units, LLVMBuildNSWSub(b, parts, i64(1), ""), ""), parts, ""), i64(split.unit()), "");
        LLVMValueRef tasks = LLVMBuildSDiv(b, LLVMBuildNSWAdd(b, i64(split.extent() - 1), per, ""), per, "");
        if (split.packAOnce()) {
            // A packed once into the caller's (worker 0's) A scratch, which no part then uses: every part reads it prepacked
            LLVMValueRef dst = LLVMBuildInBoundsGEP2(b, mb.i8(), tables[3], array(i64(scratchOffset)), 1, "");
            packAOnce(cfg, args, dst, small);
            packed = new LLVMValueRef[] {dst, packed[1]};
            args = args.clone();
            args[9] = LLVMBuildOr(b, args[9], i32(GemmFlags.PACKED_A), "");
        }
        LLVMValueRef context = alloca(LLVMArrayType(i64(), 8), "gemm_ctx");
        LLVMBuildStore(b, args[3], slot(context, 0));
        LLVMBuildStore(b, args[5], slot(context, 1));
        LLVMBuildStore(b, args[7], slot(context, 2));
        LLVMBuildStore(b, args[10], slot(context, 3));
        LLVMBuildStore(b, tables[3], slot(context, 4));
        LLVMBuildStore(b, per, slot(context, 5));
        for (int i = 0; i < 2; i++) LLVMBuildStore(b, packed[i] != null ? packed[i] : LLVMConstNull(ptr()), slot(context, 6 + i));
        LLVMValueRef task = taskFunction("gemm");
        State saved = enter(task);
        LLVMBasicBlockRef start = begin();
        LLVMValueRef in = LLVMGetParam(task, 0);
        LLVMValueRef a = LLVMBuildLoad2(b, ptr(), slot(in, 0), ""), bm = LLVMBuildLoad2(b, ptr(), slot(in, 1), "");
        LLVMValueRef cm = LLVMBuildLoad2(b, ptr(), slot(in, 2), ""), bias = LLVMBuildLoad2(b, ptr(), slot(in, 3), "");
        tables = new LLVMValueRef[] {null, null, null, LLVMBuildLoad2(b, ptr(), slot(in, 4), "")};
        LLVMValueRef perIn = LLVMBuildLoad2(b, i64(), slot(in, 5), "");
        LLVMValueRef[] packedIn = new LLVMValueRef[2];
        for (int i = 0; i < 2; i++) if (packed[i] != null) packedIn[i] = LLVMBuildLoad2(b, ptr(), slot(in, 6 + i), "");
        LLVMPositionBuilderAtEnd(b, start);
        {
            // parts [begin, end) are consecutive rows or columns: one call (run inline, it is the whole GEMM)
            LLVMValueRef first = LLVMBuildNSWMul(b, LLVMGetParam(task, 1), perIn, "");
            LLVMValueRef last = LLVMBuildNSWMul(b, LLVMGetParam(task, 2), perIn, "");
            LLVMValueRef stop = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, last, i64(split.extent()), ""), last, i64(split.extent()), "");
            LLVMValueRef len = LLVMBuildNSWSub(b, stop, first, "");
            LLVMValueRef[] part = args.clone();
            boolean ta = cfg.transA(), tb = cfg.transB();
            // A part starts at a multiple of the tile: its panels of a prepacked operand start at first·K.
            LLVMValueRef[] partPacked = packedIn.clone();
            int side = split.byRows() ? 0 : 1;
            if (partPacked[side] != null) partPacked[side] = floats(partPacked[side], LLVMBuildNSWMul(b, first, args[2], ""));
            if (split.byRows()) {
                part[0] = len;
                part[3] = floats(a, ta ? first : LLVMBuildNSWMul(b, first, args[4], ""));
                part[5] = bm;
                part[7] = floats(cm, LLVMBuildNSWMul(b, first, args[8], ""));
                part[10] = (split.flags() & org.dlm.ir.kernel.Microkernels.BIAS_ROWS) != 0 ? floats(bias, first) : bias;
            } else {
                part[1] = len;
                part[3] = a;
                part[5] = floats(bm, tb ? LLVMBuildNSWMul(b, first, args[6], "") : first);
                part[7] = floats(cm, first);
                part[10] = (split.flags() & org.dlm.ir.kernel.Microkernels.BIAS_COLUMNS) != 0 ? floats(bias, first) : bias;
            }
            gemm(cfg, part, worker, partPacked);
        }
        finish(start);
        leave(saved);
        parallelFor(task, context, tasks, small);
    }

    /**
     * Packs all of A (compile-time M and K) into {@code dst} in the prepacked layout, its panels of
     * {@code mr} rows split over the threads (one pool job before the column parts: the barrier
     * between packing and multiplying), for a column split whose parts then share it.
     */
    private void packAOnce(GemmConfig cfg, LLVMValueRef[] args, LLVMValueRef dst, boolean small) {
        long m = LLVMConstIntGetSExtValue(args[0]);
        LLVMValueRef context = alloca(LLVMArrayType(i64(), 2), "pack_ctx");
        LLVMBuildStore(b, args[3], slot(context, 0));
        LLVMBuildStore(b, dst, slot(context, 1));
        LLVMValueRef task = taskFunction("gemm_pack_a");
        State saved = enter(task);
        LLVMBasicBlockRef start = begin();
        LLVMValueRef in = LLVMGetParam(task, 0);
        LLVMValueRef a = LLVMBuildLoad2(b, ptr(), slot(in, 0), ""), to = LLVMBuildLoad2(b, ptr(), slot(in, 1), "");
        LLVMPositionBuilderAtEnd(b, start);
        {
            // panels [begin, end): rows [begin·mr, min(end·mr, M)), written first·K floats in
            LLVMValueRef first = LLVMBuildNSWMul(b, LLVMGetParam(task, 1), i64(cfg.mr()), "");
            LLVMValueRef last = LLVMBuildNSWMul(b, LLVMGetParam(task, 2), i64(cfg.mr()), "");
            LLVMValueRef stop = LLVMBuildSelect(b, LLVMBuildICmp(b, LLVMIntSLT, last, i64(m), ""), last, i64(m), "");
            LLVMValueRef src = floats(a, cfg.transA() ? first : LLVMBuildNSWMul(b, first, args[4], ""));
            LLVMTypeRef[] p = {i64(), i64(), ptr(), i64(), ptr()};
            LLVMTypeRef type = LLVMFunctionType(mb.voidType(), new PointerPointer<>(p), p.length, 0);
            String kernel = SharedGemmKernels.symbol(SharedGemmKernels.gemm(cfg, mb.target()));
            LLVMBuildCall2(b, type, shared(kernel + GemmGenerator.PREPACK_A, type),
                    array(LLVMBuildNSWSub(b, stop, first, ""), args[2], src, args[4], floats(to, LLVMBuildNSWMul(b, first, args[2], ""))), 5, "");
        }
        finish(start);
        leave(saved);
        parallelFor(task, context, i64((m + cfg.mr() - 1) / cfg.mr()), small);
    }

    private LLVMValueRef floats(LLVMValueRef base, LLVMValueRef index) {
        return LLVMBuildInBoundsGEP2(b, f32(), base, array(index), 1, "");
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
                tag(v, l.buffer());
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
            case ADD -> f ? LLVMBuildFAdd(b, x, y, "") : indexMath && t == DType.I64 ? LLVMBuildNSWAdd(b, x, y, "") : LLVMBuildAdd(b, x, y, "");
            case SUB -> f ? LLVMBuildFSub(b, x, y, "") : indexMath && t == DType.I64 ? LLVMBuildNSWSub(b, x, y, "") : LLVMBuildSub(b, x, y, "");
            case MUL -> f ? LLVMBuildFMul(b, x, y, "") : indexMath && t == DType.I64 ? LLVMBuildNSWMul(b, x, y, "") : LLVMBuildMul(b, x, y, "");
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
