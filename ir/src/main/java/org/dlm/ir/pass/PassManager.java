package org.dlm.ir.pass;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.dlm.ir.Graph;
import org.dlm.ir.Verifier;
import org.dlm.ir.text.IrPrinter;

/**
 * Runs passes in order. Can verify the graph before the first pass and after each one (tests
 * always do), print the IR after any named pass, and skip passes by name.
 *
 * <pre>{@code
 * Graph out = new PassManager(List.of(new ConstantFolding()))
 *     .verifyEach(true)
 *     .dumpAfter("constant-folding", System.err::print)
 *     .disable("fusion")
 *     .run(graph, new PassContext());
 * }</pre>
 */
public final class PassManager {
    private final List<Pass> passes;
    private boolean verify;
    private final Set<String> disabled = new HashSet<>();
    private final Set<String> dumpAfter = new HashSet<>();
    private Consumer<String> dumpSink = System.err::print;
    private final Map<String, Duration> timings = new LinkedHashMap<>();

    public PassManager(List<? extends Pass> passes) {
        this.passes = List.copyOf(passes);
        Set<String> seen = new HashSet<>();
        for (Pass p : this.passes)
            if (!seen.add(p.name())) throw new IllegalArgumentException("pass '" + p.name() + "' appears twice in the pipeline");
    }

    /** Verify the input graph and the result of every pass; a broken result names the pass. */
    public PassManager verifyEach(boolean on) {
        verify = on;
        return this;
    }

    /** Skip the pass called {@code name}; unknown names are an error so typos do not go unnoticed. */
    public PassManager disable(String name) {
        disabled.add(requireKnown(name));
        return this;
    }

    /** Print the IR after pass {@code name} (or {@code "*"} for every pass) to {@code sink}. */
    public PassManager dumpAfter(String name, Consumer<String> sink) {
        dumpAfter.add(name.equals("*") ? name : requireKnown(name));
        dumpSink = sink;
        return this;
    }

    /** The names of the passes, in order. */
    public List<String> names() { return passes.stream().map(Pass::name).toList(); }

    private String requireKnown(String name) {
        if (names().contains(name)) return name;
        throw new IllegalArgumentException("no pass named '" + name + "'; passes are: " + String.join(", ", names()));
    }

    /** Wall time of each pass in the last {@link #run}, in pipeline order (disabled passes absent). */
    public Map<String, Duration> timings() { return Collections.unmodifiableMap(timings); }

    public Graph run(Graph g, PassContext cx) {
        timings.clear();
        if (verify) check(g, "the input graph");
        for (Pass p : passes) {
            if (disabled.contains(p.name())) continue;
            long t0 = System.nanoTime();
            g = p.run(g, cx);
            timings.put(p.name(), Duration.ofNanos(System.nanoTime() - t0));
            if (verify) check(g, "the result of pass " + p.name());
            if (dumpAfter.contains(p.name()) || dumpAfter.contains("*"))
                dumpSink.accept("// ----- IR after " + p.name() + " -----\n" + IrPrinter.print(g));
        }
        return g;
    }

    private static void check(Graph g, String what) {
        List<Verifier.Problem> ps = Verifier.verify(g);
        if (ps.isEmpty()) return;
        List<String> lines = new ArrayList<>();
        for (Verifier.Problem p : ps) lines.add("  " + p);
        throw new PassException(what + " is malformed:\n" + String.join("\n", lines), ps);
    }

    /** Verification failed between passes. */
    public static final class PassException extends RuntimeException {
        private final List<Verifier.Problem> problems;
        PassException(String message, List<Verifier.Problem> problems) {
            super(message, null, false, false);
            this.problems = problems;
        }
        public List<Verifier.Problem> problems() { return problems; }
    }
}
