package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Names JIT'd functions for Linux {@code perf}: with {@code DLM_PERF_MAP=1} in the environment,
 * every module the {@link Jit} compiles has its defined functions listed in
 * {@code /tmp/perf-<pid>.map} ({@code START SIZE NAME} in hex, the format perf reads for JIT code),
 * so {@code perf record -g -- bin/dlmc bench resnet20; perf report} shows {@code <entry>_stmtN},
 * {@code <entry>_loopN} and {@code dlm_sgemm...} instead of unknown addresses.
 *
 * <p>ORC looks up only external symbols, so the functions of a module given to the JIT are made
 * external first (after optimization: the code does not change). A function's size is the distance
 * to the next recorded function (the JIT lays a module's text out contiguously; 64 KiB when that is
 * the last one or more than 4 MiB away);
 * perf only needs the ranges to contain the code.
 */
final class PerfMap {
    static final boolean ENABLED = "1".equals(System.getenv("DLM_PERF_MAP"));
    private static final long LAST_SIZE = 64 * 1024, MAX_SIZE = 4 << 20;

    private PerfMap() {}

    /** Gives every function defined in {@code module} external linkage; returns their names. */
    static List<String> exportDefinedFunctions(LLVMModuleRef module) {
        List<String> names = new ArrayList<>();
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            if (LLVMIsDeclaration(f) != 0) continue;
            LLVMSetLinkage(f, LLVMExternalLinkage);
            LLVMSetVisibility(f, LLVMDefaultVisibility);
            names.add(LLVMGetValueName(f).getString());
        }
        return names;
    }

    /** Every function recorded so far in this process, by address. */
    private static final java.util.TreeMap<Long, String> SYMBOLS = new java.util.TreeMap<>();

    /**
     * Looks up (and so compiles) the functions and rewrites the map file with every function
     * recorded so far: a function's range ends at the next function of any module, so the guessed
     * size of a module's last function never covers another module's code (the GEMM kernels, the
     * thread pool and the executables are separate modules).
     */
    static synchronized void record(List<String> names, Function<String, MemorySegment> lookup) {
        for (String name : names) SYMBOLS.put(lookup.apply(name).address(), name);
        StringBuilder lines = new StringBuilder();
        for (var e : SYMBOLS.entrySet()) {
            Long next = SYMBOLS.higherKey(e.getKey());
            long size = next != null && next - e.getKey() <= MAX_SIZE ? next - e.getKey() : LAST_SIZE;
            lines.append(Long.toHexString(e.getKey())).append(' ').append(Long.toHexString(size)).append(' ')
                    .append(e.getValue()).append('\n');
        }
        Path map = Path.of("/tmp", "perf-" + ProcessHandle.current().pid() + ".map");
        try {
            Files.writeString(map, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the perf map " + map, e);
        }
    }
}
