package org.dlm.passes.lower;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.Expr;
import org.dlm.ir.kernel.Stmt;

/**
 * Places the temporaries of a program in one arena by liveness. A temporary lives from the first
 * top-level statement that touches it to the last; buffers whose lifetimes overlap get disjoint
 * byte ranges. Placement is greedy by size (largest first), each at the lowest 64-byte aligned
 * offset that fits beside the already placed buffers it overlaps in time.
 */
public final class MemoryPlanner {
    public static final long ALIGN = 64;

    /** Offsets in bytes and the arena size. */
    public record Plan(Map<String, Long> offsets, long arenaBytes, long sumOfSizes) {}

    private MemoryPlanner() {}

    public static Plan plan(List<Buffer> temps, List<Stmt> body) {
        Map<String, int[]> live = new HashMap<>();
        for (int i = 0; i < body.size(); i++) {
            int step = i;
            visit(body.get(i), name -> live.compute(name, (k, r) -> r == null ? new int[] {step, step} : new int[] {r[0], step}));
        }
        List<Buffer> order = new ArrayList<>(temps);
        order.sort(Comparator.comparingLong(Buffer::byteSize).reversed().thenComparing(Buffer::name));
        record Placed(long start, long end, int from, int to) {}
        List<Placed> placed = new ArrayList<>();
        Map<String, Long> offsets = new HashMap<>();
        long arena = 0, sum = 0;
        for (Buffer b : order) {
            int[] r = live.getOrDefault(b.name(), new int[] {-1, -1});
            long size = Math.max(ALIGN, (b.byteSize() + ALIGN - 1) / ALIGN * ALIGN);
            sum += size;
            List<Placed> conflicts = placed.stream().filter(p -> p.from() <= r[1] && r[0] <= p.to())
                    .sorted(Comparator.comparingLong(Placed::start)).toList();
            // best fit: the smallest gap between conflicting buffers that holds this one, else the end
            long best = -1, bestGap = Long.MAX_VALUE, cursor = 0;
            for (Placed p : conflicts) {
                if (p.start() - cursor >= size && p.start() - cursor < bestGap) {
                    best = cursor;
                    bestGap = p.start() - cursor;
                }
                cursor = Math.max(cursor, p.end());
            }
            if (best < 0) best = cursor;
            placed.add(new Placed(best, best + size, r[0], r[1]));
            offsets.put(b.name(), best);
            arena = Math.max(arena, best + size);
        }
        return new Plan(offsets, arena, sum);
    }

    /** Calls {@code use} with the name of every buffer a statement reads, writes or passes to a call. */
    static void visit(Stmt s, java.util.function.Consumer<String> use) {
        switch (s) {
            case Stmt.Loop l -> {
                expr(l.extent(), use);
                l.body().forEach(b -> visit(b, use));
            }
            case Stmt.Store st -> {
                use.accept(st.buffer().name());
                expr(st.index(), use);
                expr(st.value(), use);
            }
            case Stmt.Declare d -> expr(d.init(), use);
            case Stmt.Assign a -> expr(a.value(), use);
            case Stmt.If i -> {
                expr(i.cond(), use);
                i.then().forEach(b -> visit(b, use));
            }
            case Stmt.Call c -> c.args().forEach(a -> {
                if (a instanceof Stmt.PtrArg p) {
                    use.accept(p.buffer().name());
                    expr(p.offset(), use);
                }
                if (a instanceof Stmt.ScalarArg sa) expr(sa.value(), use);
            });
        }
    }

    static void expr(Expr e, java.util.function.Consumer<String> use) {
        for (Expr.Load l : e.loads()) use.accept(l.buffer().name());
    }
}
