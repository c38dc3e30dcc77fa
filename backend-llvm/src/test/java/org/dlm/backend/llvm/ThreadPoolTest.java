package org.dlm.backend.llvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The native pool on its own (a pool linked into this test's JIT): every iteration of a job runs
 * exactly once, on a worker index below the job's thread count, for every job size around the
 * chunking's edges (fewer iterations than threads, than four chunks per thread, uneven shares),
 * inside sessions and from two Java threads at once.
 */
class ThreadPoolTest {
    /** count(ctx, b, e, w): counts[i] += 1 for i in [b, e), perWorker[w] += e - b (ctx = {counts, perWorker}). */
    static final String DRIVER = """
            declare void @dlm_parallel_for(ptr, ptr, i64, i64)
            declare void @dlm_parallel_for_hot(ptr, ptr, i64, i64)
            declare void @dlm_pool_enter(i64)
            declare void @dlm_pool_leave(i64)

            define internal void @count(ptr %c, i64 %b, i64 %e, i64 %w) {
            entry:
              %counts = load ptr, ptr %c, align 8
              %pp = getelementptr ptr, ptr %c, i64 1
              %per = load ptr, ptr %pp, align 8
              %empty = icmp sge i64 %b, %e
              br i1 %empty, label %tally, label %loop
            loop:
              %i = phi i64 [ %b, %entry ], [ %i1, %loop ]
              %p = getelementptr i32, ptr %counts, i64 %i
              %old = atomicrmw add ptr %p, i32 1 seq_cst, align 4
              %i1 = add i64 %i, 1
              %more = icmp slt i64 %i1, %e
              br i1 %more, label %loop, label %tally
            tally:
              %wm = and i64 %w, 63
              %q = getelementptr i64, ptr %per, i64 %wm
              %d = sub i64 %e, %b
              %o2 = atomicrmw add ptr %q, i64 %d seq_cst, align 8
              ret void
            }

            ; reps jobs of n iterations in one session (hot-only jobs when %hot != 0)
            define void @pool_test_run(ptr %ctx, i64 %n, i64 %threads, i64 %reps, i64 %hot) {
            entry:
              call void @dlm_pool_enter(i64 %threads)
              %ishot = icmp ne i64 %hot, 0
              br label %loop
            loop:
              %r = phi i64 [ 0, %entry ], [ %r1, %next ]
              br i1 %ishot, label %hotjob, label %job
            hotjob:
              call void @dlm_parallel_for_hot(ptr @count, ptr %ctx, i64 %n, i64 %threads)
              br label %next
            job:
              call void @dlm_parallel_for(ptr @count, ptr %ctx, i64 %n, i64 %threads)
              br label %next
            next:
              %r1 = add i64 %r, 1
              %more = icmp slt i64 %r1, %reps
              br i1 %more, label %loop, label %out
            out:
              call void @dlm_pool_leave(i64 %threads)
              ret void
            }
            """;

    record Counted(MemorySegment ctx, MemorySegment counts, MemorySegment perWorker) {
        static Counted of(Arena arena, long n) {
            MemorySegment counts = arena.allocate(4 * Math.max(1, n), 64), per = arena.allocate(8 * 64, 64), ctx = arena.allocate(16, 8);
            ctx.set(ADDRESS, 0, counts);
            ctx.set(ADDRESS, 8, per);
            return new Counted(ctx, counts, per);
        }

        void check(long n, long threads, long reps, String what) {
            for (long i = 0; i < n; i++) assertEquals(reps, counts.getAtIndex(JAVA_INT, i), what + ": iteration " + i);
            long total = 0;
            for (int w = 0; w < 64; w++) {
                long got = perWorker.getAtIndex(JAVA_LONG, w);
                if (w >= threads) assertEquals(0, got, what + ": worker " + w + " of " + threads + " threads ran iterations");
                total += got;
            }
            assertEquals(n * reps, total, what + ": iterations over all workers");
        }
    }

    /**
     * The driver with its own pool, compiled once and never closed: the pool's detached workers run
     * code in this JIT for the rest of the process (as the process-wide pool's do), so closing it
     * would pull their code from under them.
     */
    static final MethodHandle RUN = compile();

    @SuppressWarnings("resource")   // lives as long as the process, see RUN
    static MethodHandle compile() {
        HostTarget host = HostTarget.detect();
        Jit jit = new Jit();
        try (host; ModuleBuilder mb = new ModuleBuilder("pool_test", host)) {
            ThreadPoolModule.link(mb);
            ThreadPoolModule.linkText(mb, "pool_test.ll", DRIVER.getBytes(StandardCharsets.UTF_8));
            mb.optimize();
            jit.add(mb);
        }
        return jit.function("pool_test_run", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    }

    @Test
    void everyIterationRunsOnceOnAnAllowedWorker() throws Throwable {
        long[] sizes = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 100, 257, 1000, 100_003};
        for (long threads : new long[] {1, 2, 3, 4, 7}) {
            for (long n : sizes) {
                for (long hot : new long[] {0, 1}) {
                    try (Arena arena = Arena.ofConfined()) {
                        Counted c = Counted.of(arena, n);
                        long reps = n > 10_000 ? 3 : 20;
                        RUN.invokeExact(c.ctx(), n, threads, reps, hot);
                        c.check(n, threads, reps, "n=" + n + " threads=" + threads + (hot != 0 ? " hot" : ""));
                    }
                }
            }
        }
    }

    /** Two Java threads call the pool at once with different thread counts: one of them often runs its jobs alone. */
    @Test
    void concurrentCallersEachGetEveryIteration() throws Throwable {
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(2)) {
            long[][] jobs = {{37, 2}, {1001, 3}};
            List<Counted> counted = new ArrayList<>();
            List<Future<?>> done = new ArrayList<>();
            for (long[] job : jobs) {
                Counted c = Counted.of(arena, job[0]);
                counted.add(c);
                done.add(pool.submit(() -> {
                    for (int call = 0; call < 200; call++) {
                        try {
                            RUN.invokeExact(c.ctx(), job[0], job[1], 5L, (long) (call & 1));
                        } catch (Throwable t) {
                            throw new AssertionError(t);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
            for (int i = 0; i < jobs.length; i++) counted.get(i).check(jobs[i][0], jobs[i][1], 1000, "caller " + i);
        }
    }
}
