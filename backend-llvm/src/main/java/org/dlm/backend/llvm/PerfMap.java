package org.dlm.backend.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
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
 * to the next function of the same module (the JIT lays a module's text out contiguously), the last
 * one gets 64 KiB; perf only needs the ranges to contain the code.
 */
final class PerfMap {
    static final boolean ENABLED = "1".equals(System.getenv("DLM_PERF_MAP"));
    private static final long LAST_SIZE = 64 * 1024;

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

    /** Looks up (and so compiles) the functions and appends their ranges to the map file. */
    static synchronized void record(List<String> names, Function<String, MemorySegment> lookup) {
        record Symbol(String name, long address) {}
        List<Symbol> symbols = new ArrayList<>();
        for (String name : names) symbols.add(new Symbol(name, lookup.apply(name).address()));
        symbols.sort(Comparator.comparingLong(Symbol::address));
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < symbols.size(); i++) {
            Symbol s = symbols.get(i);
            long size = i + 1 < symbols.size() ? symbols.get(i + 1).address() - s.address() : LAST_SIZE;
            if (size <= 0) continue;
            lines.append(Long.toHexString(s.address())).append(' ').append(Long.toHexString(size)).append(' ')
                    .append(s.name()).append('\n');
        }
        Path map = Path.of("/tmp", "perf-" + ProcessHandle.current().pid() + ".map");
        try {
            Files.writeString(map, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the perf map " + map, e);
        }
    }
}
