; DLM's native thread pool (see ThreadPoolModule.java and docs/backend-llvm.md).
; Needs only libc/pthread: pthread_create, pthread_detach, syscall (futex), sched_yield.
;
; void dlm_parallel_for(ptr fn, ptr ctx, i64 n, i64 threads)
;   runs fn(ctx, begin, end, worker) over [0, n) in chunks on up to `threads` threads (the caller is
;   worker 0, pool threads are workers 1..threads-1) and returns when every chunk is done.
;
; One job at a time: the caller that takes @lock publishes the job; a second concurrent caller
; runs its whole range itself (worker 0). Workers are created lazily (detached), never more than
; the largest `threads` asked for (capped at 64). Idle workers spin on @gen with `pause` a while,
; then sleep in FUTEX_WAIT on it. The job's n iterations are cut into nc = min(n, 4·threads) chunks
; and each active worker gets a fixed share of them in its own slot (@slots, one cache line each:
; tag(generation) << 32 | first << 16 | end chunk). A job is published by writing the job fields,
; then the slots with the new generation's tag, then @gen (+ futex wake if anyone sleeps). A worker
; reads the fields after seeing @gen change, runs the chunks of its own slot from the front, then
; steals single chunks from the back of the others' slots (run_chunks); every claim is a CAS that
; only succeeds while the slot carries the generation the worker saw, so it never runs a chunk
; with fields of another job (a finished job's slots are all empty). @done counts finished
; iterations; the caller waits for @done == n. The fixed shares keep the same part of a layer
; (its weights, its outputs) on the same core from call to call while nobody is descheduled.
;
; void dlm_pool_enter(i64 threads) / void dlm_pool_leave(i64 threads)
;   bracket one executable call (a "session"; no-ops for one thread). While a session is open,
;   idle workers below the largest open session's thread count keep spinning with `pause` instead
;   of going to sleep (they count themselves in @spinning), so the many small jobs of a batch-1
;   call do not each pay a futex wake-up; enter wakes sleepers so that they are spinning by the
;   time the first job comes. After the last leave they stay hot ~6M cycles (~2 ms, so that
;   back-to-back calls find them spinning), then spin their usual short while and sleep.
;   Sessions overlap freely (a counter): concurrent callers stay correct, they share the workers.
;   A worker that finds itself descheduled while spinning (a gap of > 200k cycles between two
;   rounds), or a caller that waited for the workers' last chunks longer than it worked itself
;   (and > 200k cycles), marks the machine busy (@busy_until):
;   meanwhile sessions keep nobody hot, as spinning on a busy machine takes CPU from the threads
;   that have work (for about a second, see @mark_busy). A hot worker also sleeps after ~6M
;   cycles (~2 ms) without a job (a long serial stretch of the call).
;
; void dlm_parallel_for_hot(ptr fn, ptr ctx, i64 n, i64 threads)
;   dlm_parallel_for for small jobs: split only while some worker is spinning hot (@spinning > 0),
;   else run inline by the caller (a wake-up would cost more than the job).

@lock = internal global i32 0, align 64
@gen = internal global i32 0, align 64
@sleepers = internal global i32 0, align 64
@workers = internal global i64 0, align 64
@job_fn = internal global ptr null, align 64
@job_ctx = internal global ptr null, align 8
@job_n = internal global i64 0, align 8
@job_chunks = internal global i64 1, align 8
@job_active = internal global i64 0, align 8
@slots = internal global [64 x [8 x i64]] zeroinitializer, align 64
@done = internal global i64 0, align 64
@sessions = internal global i64 0, align 64
@hot = internal global i64 0, align 8
@linger_hot = internal global i64 0, align 64
@left = internal global i64 0, align 8
@spinning = internal global i32 0, align 64
@busy_until = internal global i64 0, align 64

declare i32 @pthread_create(ptr, ptr, ptr, ptr)
declare i32 @pthread_detach(i64)
declare i32 @pthread_setname_np(i64, ptr)

@name = internal constant [11 x i8] c"dlm-worker\00"
declare i64 @syscall(i64, ...)
declare i32 @sched_yield()
declare void @llvm.x86.sse2.pause()
declare i64 @llvm.readcyclecounter()

; Marks the machine busy from %now for 3G cycles (about a second): meanwhile no session keeps
; workers hot. (A stretch of ~10 ms growing 8-fold while the machine stays loaded was tried, so
; that a stray preemption on an idle machine costs less: at load 10-12 on 2 cores the Transformer
; at batch 1 on 2 threads then ran 2-4x slower in some runs, its probes stalling the caller.)
define internal void @mark_busy(i64 %now) nounwind {
entry:
  %until = add i64 %now, 3000000000
  store atomic i64 %until, ptr @busy_until monotonic, align 8
  ret void
}

; Claims and runs chunks of the job of generation %g as worker %w until none is left: first the
; chunks of its own slot from the front (its fixed share of the job, so a layer's weights or outputs
; stay with the same core from call to call), then steals single chunks from the back of the other
; active workers' slots. A slot is tag(g) << 32 | lo << 16 | hi (chunk indexes, at most 4 per thread);
; its CAS succeeds only while it carries the generation %g: a worker that wakes late never runs a
; chunk with another job's function or context (every slot of a finished job has lo == hi).
define internal void @run_chunks(i64 %g, i64 %w) nounwind {
entry:
  %fn = load atomic ptr, ptr @job_fn seq_cst, align 8
  %ctx = load atomic ptr, ptr @job_ctx seq_cst, align 8
  %n = load atomic i64, ptr @job_n seq_cst, align 8
  %nc = load atomic i64, ptr @job_chunks seq_cst, align 8
  %t = load atomic i64, ptr @job_active seq_cst, align 8
  %tag = shl i64 %g, 32
  br label %victim
victim:
  %i = phi i64 [ 0, %entry ], [ %i1, %nextv ]
  %more = icmp slt i64 %i, %t
  br i1 %more, label %pick, label %out
pick:
  %vw = add i64 %w, %i
  %wrap = icmp sge i64 %vw, %t
  %vw2 = sub i64 %vw, %t
  %v0 = select i1 %wrap, i64 %vw2, i64 %vw
  %v = and i64 %v0, 63
  %slot = getelementptr [8 x i64], ptr @slots, i64 %v
  %own = icmp eq i64 %i, 0
  br label %claim
claim:
  %cur = load atomic i64, ptr %slot seq_cst, align 8
  %curtag = and i64 %cur, -4294967296
  %same = icmp eq i64 %curtag, %tag
  br i1 %same, label %check, label %out
check:
  %lo0 = lshr i64 %cur, 16
  %lo = and i64 %lo0, 65535
  %hi = and i64 %cur, 65535
  %left = icmp ult i64 %lo, %hi
  br i1 %left, label %cas, label %nextv
cas:
  %lonext = add i64 %lo, 1
  %hiprev = sub i64 %hi, 1
  %newlo = select i1 %own, i64 %lonext, i64 %lo
  %newhi = select i1 %own, i64 %hi, i64 %hiprev
  %c = select i1 %own, i64 %lo, i64 %hiprev
  %los = shl i64 %newlo, 16
  %new0 = or i64 %tag, %los
  %new = or i64 %new0, %newhi
  %pair = cmpxchg ptr %slot, i64 %cur, i64 %new seq_cst seq_cst, align 8
  %ok = extractvalue { i64, i1 } %pair, 1
  br i1 %ok, label %call, label %claim
call:
  ; chunk c covers [c·n/nc, (c+1)·n/nc): n < 2^31 and c < 2^16, no overflow
  %cn = mul i64 %c, %n
  %begin = udiv i64 %cn, %nc
  %c1 = add i64 %c, 1
  %c1n = mul i64 %c1, %n
  %end = udiv i64 %c1n, %nc
  call void %fn(ptr %ctx, i64 %begin, i64 %end, i64 %w)
  %count = sub i64 %end, %begin
  %old = atomicrmw add ptr @done, i64 %count seq_cst, align 8
  br label %claim
nextv:
  %i1 = add i64 %i, 1
  br label %victim
out:
  ret void
}

define internal ptr @worker_main(ptr %arg) nounwind {
entry:
  %w = ptrtoint ptr %arg to i64
  %seen = alloca i32, align 4
  %spins = alloca i32, align 4
  %last = alloca i64, align 8
  %idle = alloca i64, align 8
  %hotme = alloca i1, align 1
  store i1 false, ptr %hotme, align 1
  %g0 = load atomic i32, ptr @gen seq_cst, align 4
  store i32 %g0, ptr %seen, align 4
  br label %wait
wait:
  store i32 0, ptr %spins, align 4
  %t0 = call i64 @llvm.readcyclecounter()
  store i64 %t0, ptr %last, align 8
  store i64 %t0, ptr %idle, align 8
  br label %spin
spin:
  %g = load atomic i32, ptr @gen seq_cst, align 4
  %s = load i32, ptr %seen, align 4
  %changed = icmp ne i32 %g, %s
  br i1 %changed, label %job, label %more
more:
  %k = load i32, ptr %spins, align 4
  %k1 = add i32 %k, 1
  store i32 %k1, ptr %spins, align 4
  %now = call i64 @llvm.readcyclecounter()
  %prev = load i64, ptr %last, align 8
  store i64 %now, ptr %last, align 8
  %gap = sub i64 %now, %prev
  %preempted = icmp ugt i64 %gap, 200000
  br i1 %preempted, label %busy, label %counted
busy:
  ; descheduled while spinning: the machine is busy, spinning would take CPU from other threads
  ; (with autogroup, from this process's own caller); no session keeps workers hot for a while
  call void @mark_busy(i64 %now)
  br label %cool
counted:
  ; a worker not yet hot checks every round whether a session wants it (so it is hot by the
  ; session's first job); a hot one re-checks every 500 rounds (some tens of µs)
  %long = icmp ugt i32 %k1, 500
  %cold = load i1, ptr %hotme, align 1
  %notyet = xor i1 %cold, true
  %look = or i1 %long, %notyet
  br i1 %look, label %insession, label %pause
insession:
  ; a worker that an open session may use keeps spinning, unless the machine was found busy; so
  ; does one that the last session used, for ~6M cycles (~2 ms) after it closed (back-to-back
  ; calls with some Java work between them find it hot)
  %open = load atomic i64, ptr @sessions monotonic, align 8
  %hotn = load atomic i64, ptr @hot monotonic, align 8
  %lhot = load atomic i64, ptr @linger_hot monotonic, align 8
  %left = load atomic i64, ptr @left monotonic, align 8
  %bu = load atomic i64, ptr @busy_until monotonic, align 8
  %isopen = icmp sgt i64 %open, 0
  %sinceleft = sub i64 %now, %left
  %lingers = icmp ult i64 %sinceleft, 6000000
  %window = or i1 %isopen, %lingers
  %users = select i1 %isopen, i64 %hotn, i64 %lhot
  %wanted = icmp ult i64 %w, %users
  %calm = icmp uge i64 %now, %bu
  %since = load i64, ptr %idle, align 8
  %idlefor = sub i64 %now, %since
  %recent = icmp ult i64 %idlefor, 6000000
  %stay0 = and i1 %window, %wanted
  %stay1 = and i1 %stay0, %calm
  %stay = and i1 %stay1, %recent
  br i1 %stay, label %rearm, label %drop
drop:
  br i1 %long, label %cool, label %pause
rearm:
  store i32 0, ptr %spins, align 4
  %was = load i1, ptr %hotme, align 1
  br i1 %was, label %pause, label %heat
heat:
  store i1 true, ptr %hotme, align 1
  %h = atomicrmw add ptr @spinning, i32 1 seq_cst, align 4
  br label %pause
pause:
  call void @llvm.x86.sse2.pause()
  br label %spin
cool:
  %washot = load i1, ptr %hotme, align 1
  br i1 %washot, label %unheat, label %sleep
unheat:
  store i1 false, ptr %hotme, align 1
  %c = atomicrmw sub ptr @spinning, i32 1 seq_cst, align 4
  br label %sleep
sleep:
  %a = atomicrmw add ptr @sleepers, i32 1 seq_cst, align 4
  %s64 = zext i32 %s to i64
  ; FUTEX_WAIT_PRIVATE: sleeps only while @gen still equals the generation already handled
  %r = call i64 (i64, ...) @syscall(i64 202, ptr @gen, i64 128, i64 %s64, ptr null)
  %b = atomicrmw sub ptr @sleepers, i32 1 seq_cst, align 4
  br label %wait
job:
  store i32 %g, ptr %seen, align 4
  %active = load atomic i64, ptr @job_active seq_cst, align 8
  %joins = icmp ult i64 %w, %active
  br i1 %joins, label %run, label %wait
run:
  %g64 = zext i32 %g to i64
  call void @run_chunks(i64 %g64, i64 %w)
  br label %wait
}

; Starts workers until there are %want (only the lock holder calls this).
define internal void @grow(i64 %want) nounwind {
entry:
  %tid = alloca i64, align 8
  br label %loop
loop:
  %have = load atomic i64, ptr @workers seq_cst, align 8
  %enough = icmp sge i64 %have, %want
  br i1 %enough, label %out, label %spawn
spawn:
  %w = add i64 %have, 1
  %arg = inttoptr i64 %w to ptr
  %rc = call i32 @pthread_create(ptr %tid, ptr null, ptr @worker_main, ptr %arg)
  %failed = icmp ne i32 %rc, 0
  br i1 %failed, label %out, label %created
created:
  %t = load i64, ptr %tid, align 8
  %named = call i32 @pthread_setname_np(i64 %t, ptr @name)
  %d = call i32 @pthread_detach(i64 %t)
  store atomic i64 %w, ptr @workers seq_cst, align 8
  br label %loop
out:
  ret void
}

define void @dlm_parallel_for(ptr %fn, ptr %ctx, i64 %n, i64 %threads) nounwind {
entry:
  %few = icmp sle i64 %n, 1
  %single = icmp sle i64 %threads, 1
  %huge = icmp sgt i64 %n, 2147483647
  %x = or i1 %few, %single
  %alone = or i1 %x, %huge
  br i1 %alone, label %inline, label %lock
lock:
  %pair = cmpxchg ptr @lock, i32 0, i32 1 seq_cst seq_cst, align 4
  %got = extractvalue { i32, i1 } %pair, 1
  br i1 %got, label %start, label %inline
inline:
  call void %fn(ptr %ctx, i64 0, i64 %n, i64 0)
  ret void
start:
  %capn = icmp sgt i64 %threads, %n
  %t0 = select i1 %capn, i64 %n, i64 %threads
  %cap64 = icmp sgt i64 %t0, 64
  %t = select i1 %cap64, i64 64, i64 %t0
  %want = sub i64 %t, 1
  call void @grow(i64 %want)
  %have = load atomic i64, ptr @workers seq_cst, align 8
  %short = icmp slt i64 %have, %want
  %have1 = add i64 %have, 1
  %active = select i1 %short, i64 %have1, i64 %t
  %nobody = icmp sle i64 %active, 1
  br i1 %nobody, label %unlock_inline, label %publish
unlock_inline:
  store atomic i32 0, ptr @lock release, align 4
  call void %fn(ptr %ctx, i64 0, i64 %n, i64 0)
  ret void
publish:
  ; about four chunks per thread, each thread's share in its slot: dynamic balance (stealing)
  ; without a CAS per iteration
  %parts = mul i64 %active, 4
  %fewer = icmp slt i64 %n, %parts
  %nc = select i1 %fewer, i64 %n, i64 %parts
  %g = load atomic i32, ptr @gen seq_cst, align 4
  %g1 = add i32 %g, 1
  %g164 = zext i32 %g1 to i64
  %tag = shl i64 %g164, 32
  store atomic ptr %fn, ptr @job_fn release, align 8
  store atomic ptr %ctx, ptr @job_ctx release, align 8
  store atomic i64 %n, ptr @job_n release, align 8
  store atomic i64 %nc, ptr @job_chunks release, align 8
  store atomic i64 %active, ptr @job_active release, align 8
  store atomic i64 0, ptr @done release, align 8
  br label %share
share:
  %sw = phi i64 [ 0, %publish ], [ %sw1, %share ]
  %swn = mul i64 %sw, %nc
  %slo = udiv i64 %swn, %active
  %sw1 = add i64 %sw, 1
  %sw1n = mul i64 %sw1, %nc
  %shi = udiv i64 %sw1n, %active
  %slos = shl i64 %slo, 16
  %sv0 = or i64 %tag, %slos
  %sv = or i64 %sv0, %shi
  %sp = getelementptr [8 x i64], ptr @slots, i64 %sw
  store atomic i64 %sv, ptr %sp release, align 8
  %smore = icmp slt i64 %sw1, %active
  br i1 %smore, label %share, label %go
go:
  store atomic i32 %g1, ptr @gen seq_cst, align 4
  %sl = load atomic i32, ptr @sleepers seq_cst, align 4
  %anyone = icmp sgt i32 %sl, 0
  br i1 %anyone, label %wake, label %work
wake:
  ; FUTEX_WAKE_PRIVATE, all
  %wr = call i64 (i64, ...) @syscall(i64 202, ptr @gen, i64 129, i64 2147483647)
  br label %work
work:
  %tstart = call i64 @llvm.readcyclecounter()
  call void @run_chunks(i64 %g164, i64 0)
  %tmine = call i64 @llvm.readcyclecounter()
  br label %wait
wait:
  %spins = phi i64 [ 0, %work ], [ %spins1, %pause ], [ 0, %yield ]
  %d = load atomic i64, ptr @done seq_cst, align 8
  %finished = icmp sge i64 %d, %n
  br i1 %finished, label %finish, label %notyet
notyet:
  %spins1 = add i64 %spins, 1
  %longwait = icmp sgt i64 %spins1, 200
  br i1 %longwait, label %yield, label %pause
pause:
  call void @llvm.x86.sse2.pause()
  br label %wait
yield:
  ; a worker holding a chunk was descheduled (a busy machine): give it the core
  %y = call i32 @sched_yield()
  br label %wait
finish:
  ; waited longer than it worked (and > 200k cycles) for the workers' last chunks: a worker was
  ; descheduled mid-job, the machine is busy (chunks are about a quarter of a thread's share)
  %tend = call i64 @llvm.readcyclecounter()
  %waited = sub i64 %tend, %tmine
  %worked = sub i64 %tmine, %tstart
  %longer = icmp ugt i64 %waited, %worked
  %stalled0 = icmp ugt i64 %waited, 200000
  %stalled = and i1 %longer, %stalled0
  br i1 %stalled, label %mark, label %release
mark:
  call void @mark_busy(i64 %tend)
  br label %release
release:
  store atomic i32 0, ptr @lock release, align 4
  ret void
}

define void @dlm_pool_enter(i64 %threads) nounwind {
entry:
  %none = icmp sle i64 %threads, 1
  br i1 %none, label %out, label %open
open:
  %old = atomicrmw max ptr @hot, i64 %threads seq_cst, align 8
  %n = atomicrmw add ptr @sessions, i64 1 seq_cst, align 8
  ; start the workers now if none ran a job yet (a call of only small jobs would never start them)
  %have = load atomic i64, ptr @workers seq_cst, align 8
  %want0 = sub i64 %threads, 1
  %big = icmp sgt i64 %want0, 63
  %want = select i1 %big, i64 63, i64 %want0
  %short = icmp slt i64 %have, %want
  br i1 %short, label %lock, label %check
lock:
  %pair = cmpxchg ptr @lock, i32 0, i32 1 seq_cst seq_cst, align 4
  %got = extractvalue { i32, i1 } %pair, 1
  br i1 %got, label %grow, label %check
grow:
  call void @grow(i64 %want)
  store atomic i32 0, ptr @lock seq_cst, align 4
  br label %check
check:
  %sl = load atomic i32, ptr @sleepers seq_cst, align 4
  %anyone = icmp sgt i32 %sl, 0
  %now = call i64 @llvm.readcyclecounter()
  %bu = load atomic i64, ptr @busy_until monotonic, align 8
  %calm = icmp uge i64 %now, %bu
  %wakeup = and i1 %anyone, %calm
  br i1 %wakeup, label %wake, label %out
wake:
  ; FUTEX_WAKE_PRIVATE, all: they find @gen unchanged and spin while the session lasts
  %wr = call i64 (i64, ...) @syscall(i64 202, ptr @gen, i64 129, i64 2147483647)
  br label %out
out:
  ret void
}

define void @dlm_pool_leave(i64 %threads) nounwind {
entry:
  %none = icmp sle i64 %threads, 1
  br i1 %none, label %out, label %close
close:
  %old = atomicrmw sub ptr @sessions, i64 1 seq_cst, align 8
  %last = icmp eq i64 %old, 1
  br i1 %last, label %cool, label %out
cool:
  ; a session opened meanwhile may lose its @hot: its workers then sleep between jobs (slower, still correct)
  %h = load atomic i64, ptr @hot seq_cst, align 8
  store atomic i64 %h, ptr @linger_hot monotonic, align 8
  %now = call i64 @llvm.readcyclecounter()
  store atomic i64 %now, ptr @left monotonic, align 8
  store atomic i64 0, ptr @hot seq_cst, align 8
  br label %out
out:
  ret void
}

; dlm_parallel_for for small jobs, worth splitting only over workers that are already spinning
; (kept hot by an open session on a calm machine); otherwise the caller runs them inline.
define void @dlm_parallel_for_hot(ptr %fn, ptr %ctx, i64 %n, i64 %threads) nounwind {
entry:
  %sp = load atomic i32, ptr @spinning monotonic, align 4
  %hot = icmp sgt i32 %sp, 0
  br i1 %hot, label %split, label %inline
split:
  call void @dlm_parallel_for(ptr %fn, ptr %ctx, i64 %n, i64 %threads)
  ret void
inline:
  call void %fn(ptr %ctx, i64 0, i64 %n, i64 0)
  ret void
}
