package org.dlm.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.kernel.KernelPrinter;
import org.dlm.ir.kernel.Stmt;

/**
 * With {@code -Ddlm.llvm.profile=true}: each top-level Kernel IR statement's least cycles over the
 * timed calls of {@code dlmc bench} (the least disturbed run of it on a shared machine), printed
 * on stderr in ms scaled so that they add up to the fastest call, largest first, with the
 * statement's text ({@code -Ddlm.profile.maxText=N} characters of it, default 400). Without the
 * property the executable counts nothing and this prints nothing.
 */
final class StatementProfile {
    private static final int MAX_TEXT = Integer.getInteger("dlm.profile.maxText", 400);
    private final LlvmExecutable exe;
    private long[] least;

    /** Starts counting from now (drops the warm-up calls' cycles). */
    StatementProfile(LlvmExecutable exe) {
        this.exe = exe;
        exe.statementCycles(true);
    }

    /** Takes the cycles of the call just made. */
    void afterCall() {
        long[] c = exe.statementCycles(true);
        if (c == null) return;
        if (least == null) least = c;
        for (int i = 0; i < c.length; i++) least[i] = Math.min(least[i], c[i]);
    }

    void print(double fastestMs) {
        if (least == null) return;
        long[] cycles = least;
        double total = Arrays.stream(cycles).sum();
        List<Stmt> body = exe.lowered().module().body();
        Integer[] order = new Integer[cycles.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Long.compare(cycles[b], cycles[a]));
        for (int i : order) {
            if (cycles[i] == 0) continue;
            String text = KernelPrinter.print(body.get(i)).replaceAll("\\s+", " ");
            System.err.printf(Locale.ROOT, "stmt %4d %8.3f ms %5.1f %%  %s%n", i, fastestMs * cycles[i] / total, 100 * cycles[i] / total,
                    text.length() > MAX_TEXT ? text.substring(0, MAX_TEXT) : text);
        }
    }
}
