; Drivers for PoolBench (see PoolBench.java): an empty job and a streaming job run through the pool.
declare void @dlm_parallel_for(ptr, ptr, i64, i64)
declare void @dlm_parallel_for_hot(ptr, ptr, i64, i64)
declare void @dlm_pool_enter(i64)
declare void @dlm_pool_leave(i64)

define internal void @empty(ptr %c, i64 %b, i64 %e, i64 %w) {
  ret void
}

; ctx: ptr data, i64 floats per index (a multiple of 64), ptr out (16 floats per worker):
; sums data[b*len, e*len) into out[16w..16w+16) (a GEMV's weight streaming without the FMAs' operand)
define internal void @stream(ptr %c, i64 %b, i64 %e, i64 %w) {
entry:
  %data = load ptr, ptr %c, align 8
  %lp = getelementptr i64, ptr %c, i64 1
  %len = load i64, ptr %lp, align 8
  %op = getelementptr i64, ptr %c, i64 2
  %out = load ptr, ptr %op, align 8
  %s = mul i64 %b, %len
  %t = mul i64 %e, %len
  br label %loop
loop:
  %i = phi i64 [ %s, %entry ], [ %i1, %loop ]
  %a0 = phi <16 x float> [ zeroinitializer, %entry ], [ %b0, %loop ]
  %a1 = phi <16 x float> [ zeroinitializer, %entry ], [ %b1, %loop ]
  %a2 = phi <16 x float> [ zeroinitializer, %entry ], [ %b2, %loop ]
  %a3 = phi <16 x float> [ zeroinitializer, %entry ], [ %b3, %loop ]
  %p0 = getelementptr float, ptr %data, i64 %i
  %p1 = getelementptr float, ptr %p0, i64 16
  %p2 = getelementptr float, ptr %p0, i64 32
  %p3 = getelementptr float, ptr %p0, i64 48
  %v0 = load <16 x float>, ptr %p0, align 64
  %v1 = load <16 x float>, ptr %p1, align 64
  %v2 = load <16 x float>, ptr %p2, align 64
  %v3 = load <16 x float>, ptr %p3, align 64
  %b0 = fadd <16 x float> %a0, %v0
  %b1 = fadd <16 x float> %a1, %v1
  %b2 = fadd <16 x float> %a2, %v2
  %b3 = fadd <16 x float> %a3, %v3
  %i1 = add i64 %i, 64
  %more = icmp slt i64 %i1, %t
  br i1 %more, label %loop, label %done
done:
  %s01 = fadd <16 x float> %b0, %b1
  %s23 = fadd <16 x float> %b2, %b3
  %sum = fadd <16 x float> %s01, %s23
  %slot = mul i64 %w, 16
  %q = getelementptr float, ptr %out, i64 %slot
  %old = load <16 x float>, ptr %q, align 64
  %new = fadd <16 x float> %old, %sum
  store <16 x float> %new, ptr %q, align 64
  ret void
}

; One "executable call": a session with `jobs` pool jobs of n iterations each (hot-only jobs when %hot != 0).
define void @pool_bench_call(ptr %fn, ptr %ctx, i64 %n, i64 %jobs, i64 %threads, i64 %hot) {
entry:
  call void @dlm_pool_enter(i64 %threads)
  %ishot = icmp ne i64 %hot, 0
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %next ]
  br i1 %ishot, label %hotjob, label %job
hotjob:
  call void @dlm_parallel_for_hot(ptr %fn, ptr %ctx, i64 %n, i64 %threads)
  br label %next
job:
  call void @dlm_parallel_for(ptr %fn, ptr %ctx, i64 %n, i64 %threads)
  br label %next
next:
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, %jobs
  br i1 %more, label %loop, label %out
out:
  call void @dlm_pool_leave(i64 %threads)
  ret void
}

define ptr @pool_bench_empty() {
  ret ptr @empty
}

define ptr @pool_bench_stream() {
  ret ptr @stream
}
