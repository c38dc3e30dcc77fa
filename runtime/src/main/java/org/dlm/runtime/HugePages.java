package org.dlm.runtime;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Large native buffers on transparent huge pages, as numpy does for its arrays: with the kernel's
 * usual "madvise" policy, a matrix of tens of MiB on 4 KiB pages costs a TLB miss every few rows
 * in a GEMM. Buffers below {@link #THRESHOLD} get ordinary 64-byte alignment.
 */
public final class HugePages {
    /** Buffers of at least one huge page (2 MiB) are 2 MiB aligned and advised (numpy: 4 MiB). */
    public static final long THRESHOLD = 2L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MADVISE = lookup();

    private HugePages() {}

    private static MethodHandle lookup() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("madvise")
                .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)))
                .orElse(null);
    }

    /** {@code bytes} of zeroed memory from {@code arena}, on huge pages when large and the OS allows. */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < THRESHOLD || MADVISE == null) return arena.allocate(bytes, 64);
        long rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        MemorySegment s = arena.allocate(rounded, HUGE_PAGE);
        try {
            int ignored = (int) MADVISE.invokeExact(s, rounded, MADV_HUGEPAGE);   // only a hint: failure changes nothing
        } catch (Throwable e) {
            throw new IllegalStateException("madvise failed", e);
        }
        return s.asSlice(0, bytes);
    }
}
