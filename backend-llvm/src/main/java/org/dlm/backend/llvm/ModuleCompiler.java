package org.dlm.backend.llvm;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Turns modules into machine code: verification, an optimization pipeline and object emission,
 * each module on a thread of its own (they live in separate contexts and are built with separate
 * target machines, so LLVM allows it), through an optional {@link ObjectCache}.
 *
 * <pre>{@code
 * ModuleCompiler.Result r = ModuleCompiler.compile(parts, "default<O3>", true, ObjectCache.standard(), false);
 * r.addTo(jit);
 * }</pre>
 */
public final class ModuleCompiler {
    private ModuleCompiler() {}

    /**
     * Objects in the order of the modules; the optimized IR of all modules when asked for (null
     * otherwise); time summed over modules (they run concurrently: the sum can exceed the wall
     * time) for verification, optimization and code generation; how many objects came from the cache.
     */
    public record Result(List<byte[]> objects, String llvmIr, long verifyNanos, long optimizeNanos, long machineCodeNanos, int cacheHits,
                         List<List<String>> functions) {
        /** Adds the objects to {@code jit} (with {@code DLM_PERF_MAP=1}, naming their functions for perf). */
        public void addTo(Jit jit) {
            for (byte[] o : objects) jit.addObject(o);
            // looked up only once all are in: an object's code may call functions of another
            List<String> all = functions.stream().flatMap(List::stream).toList();
            if (!all.isEmpty()) PerfMap.record(all, jit::address);
        }
    }

    private record One(byte[] object, String ir, long verify, long optimize, long machineCode, boolean hit, List<String> functions) {}

    /**
     * Compiles {@code modules} (left spent: their IR is rewritten by code generation) with
     * {@code pipeline}; {@code autoVectorize} as in {@link ModuleBuilder#optimize(String, boolean)};
     * {@code cache} may be null. Keeping the IR bypasses the cache (a cached object has no IR).
     */
    public static Result compile(List<ModuleBuilder> modules, String pipeline, boolean autoVectorize, ObjectCache cache, boolean keepIr) {
        List<Future<One>> results = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            ModuleBuilder mb = modules.get(i);
            FutureTask<One> task = new FutureTask<>(() -> compile(mb, pipeline, autoVectorize, keepIr ? null : cache, keepIr));
            results.add(task);
            if (i == 0) continue;   // the first runs on the calling thread
            Thread.ofPlatform().name("dlm-llvm-" + i).daemon().start(task);
        }
        ((FutureTask<One>) results.get(0)).run();
        List<byte[]> objects = new ArrayList<>();
        List<List<String>> functions = new ArrayList<>();
        StringBuilder ir = keepIr ? new StringBuilder() : null;
        long verify = 0, optimize = 0, machineCode = 0;
        int hits = 0;
        RuntimeException failure = null;
        for (Future<One> f : results) {
            try {
                One o = f.get();
                objects.add(o.object());
                functions.add(o.functions());
                if (ir != null) ir.append(o.ir());
                verify += o.verify();
                optimize += o.optimize();
                machineCode += o.machineCode();
                if (o.hit()) hits++;
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause() instanceof RuntimeException r ? r : new LlvmException("LLVM compile failed: " + e.getCause());
                if (e.getCause() instanceof Error err) throw err;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LlvmException("interrupted while compiling");
            }
        }
        if (failure != null) throw failure;
        return new Result(objects, ir == null ? null : ir.toString(), verify, optimize, machineCode, hits, functions);
    }

    private static One compile(ModuleBuilder mb, String pipeline, boolean autoVectorize, ObjectCache cache, boolean keepIr) {
        // perf names only external functions: with DLM_PERF_MAP=1 every function is made external first
        List<String> functions = PerfMap.ENABLED ? PerfMap.exportDefinedFunctions(mb.module()) : List.of();
        String key = null;
        if (cache != null) {
            key = cache.key(mb.llvmIr(), mb.target(), pipeline + (autoVectorize ? "" : " no-auto-vectorize"));
            byte[] cached = cache.get(key);
            if (cached != null) return new One(cached, null, 0, 0, 0, true, functions);
        }
        long t0 = System.nanoTime();
        mb.verify();
        long t1 = System.nanoTime();
        mb.optimize(pipeline, autoVectorize);
        long t2 = System.nanoTime();
        String ir = keepIr ? mb.llvmIr() : null;
        long t3 = System.nanoTime();
        byte[] object = mb.emitObject();
        long t4 = System.nanoTime();
        if (cache != null) cache.put(key, object);
        return new One(object, ir, t1 - t0, t2 - t1, t4 - t3, false, functions);
    }

}
