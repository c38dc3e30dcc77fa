package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * DLM's native thread pool as LLVM IR ({@code thread_pool.ll}): {@code void dlm_parallel_for(ptr fn,
 * ptr ctx, i64 n, i64 threads)} runs {@code fn(ctx, begin, end, worker)} over {@code [0, n)} in
 * chunks on up to {@code threads} threads (the caller is worker 0) and returns when all are done.
 * It needs nothing at run time but libc and pthread (lazily created detached workers that spin,
 * then sleep on a futex; they stay hot while a session, one executable call, is open), so the same IR serves the JIT and shared libraries. Each module it is
 * linked into has its own pool: the JIT links it once per process ({@code SharedGemmKernels}).
 *
 * <pre>{@code
 * try (ModuleBuilder mb = new ModuleBuilder("pool", host)) {
 *     ThreadPoolModule.link(mb);
 *     mb.optimize();
 *     jit.add(mb);
 *     long parallelFor = jit.address(ThreadPoolModule.PARALLEL_FOR).address();
 * }
 * }</pre>
 */
public final class ThreadPoolModule {
    /** The entry point's symbol. */
    public static final String PARALLEL_FOR = "dlm_parallel_for";
    /**
     * {@code void dlm_pool_enter(i64 threads)}: opens a session (one executable call on
     * {@code threads} threads): until the matching {@link #LEAVE}, idle workers the session may use
     * spin instead of sleeping, so that short jobs do not each pay a wake-up. No-op for one thread.
     */
    public static final String ENTER = "dlm_pool_enter";
    /** {@code void dlm_pool_leave(i64 threads)}: closes a session opened with the same {@code threads}. */
    public static final String LEAVE = "dlm_pool_leave";
    /**
     * {@code void dlm_parallel_for_hot(ptr fn, ptr ctx, i64 n, i64 threads)}: {@link #PARALLEL_FOR}
     * for small jobs, split only while a worker is spinning hot (in a session on a calm machine),
     * else run inline by the caller.
     */
    public static final String PARALLEL_FOR_HOT = "dlm_parallel_for_hot";

    private ThreadPoolModule() {}

    /** Parses the pool's IR in {@code mb}'s context and links it into {@code mb}'s module. */
    public static void link(ModuleBuilder mb) {
        byte[] text;
        try (InputStream in = ThreadPoolModule.class.getResourceAsStream("thread_pool.ll")) {
            if (in == null) throw new IllegalStateException("thread_pool.ll is missing from the class path");
            text = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        linkText(mb, "thread_pool.ll", text);
    }

    /** Parses textual LLVM IR in {@code mb}'s context and links it into {@code mb}'s module (the pool, benchmarks' drivers). */
    public static void linkText(ModuleBuilder mb, String fileName, byte[] text) {
        BytePointer bytes = new BytePointer(text.length + 1L);
        bytes.put(text).put(text.length, (byte) 0);
        BytePointer name = new BytePointer(fileName);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(bytes, text.length, name);
        bytes.close();
        name.close();
        LLVMModuleRef pool = new LLVMModuleRef();
        BytePointer message = new BytePointer((Pointer) null);
        if (LLVMParseIRInContext(mb.context(), buffer, pool, message) != 0)   // takes the buffer
            throw new LlvmException(fileName + " does not parse: " + Llvm.takeMessage(message));
        LLVMSetTarget(pool, mb.target().triple());
        LLVMSetDataLayout(pool, LLVMGetDataLayoutStr(mb.module()));
        for (var fn = LLVMGetFirstFunction(pool); fn != null && !fn.isNull(); fn = LLVMGetNextFunction(fn))
            if (LLVMIsDeclaration(fn) == 0) mb.target().tag(fn);
        if (LLVMLinkModules2(mb.module(), pool) != 0)   // destroys pool
            throw new LlvmException("could not link " + fileName + " into a module");
    }
}
