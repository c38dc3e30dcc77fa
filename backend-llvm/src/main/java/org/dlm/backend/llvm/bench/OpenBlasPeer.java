package org.dlm.backend.llvm.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * OpenBLAS {@code cblas_sgemm} loaded into this process (Debian's libopenblas0, the library
 * numpy uses), so that its calls and ours can alternate on the same buffers: on a shared,
 * hyper-threaded machine only adjacent calls see the same interference.
 */
final class OpenBlasPeer implements AutoCloseable {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111;
    private final Arena arena = Arena.ofShared();
    private final MethodHandle sgemm;
    private final String core;

    OpenBlasPeer(Path library, int threads) throws Throwable {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = SymbolLookup.libraryLookup(library, arena);
        sgemm = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(), FunctionDescriptor.ofVoid(
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT,
                JAVA_FLOAT, ADDRESS, JAVA_INT));
        MethodHandle setThreads = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(), FunctionDescriptor.ofVoid(JAVA_INT));
        setThreads.invokeExact(threads);
        MethodHandle coreName = linker.downcallHandle(lib.find("openblas_get_corename").orElseThrow(), FunctionDescriptor.of(ADDRESS));
        core = ((MemorySegment) coreName.invokeExact()).reinterpret(64).getString(0);
    }

    String core() { return core; }

    /** C = A·B, row-major, A m×k, B k×n. */
    void multiply(int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1f, a, k, b, n, 0f, c, n);
        } catch (Throwable e) {
            throw new IllegalStateException("cblas_sgemm failed", e);
        }
    }

    @Override public void close() { arena.close(); }
}
