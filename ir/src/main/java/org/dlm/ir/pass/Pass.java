package org.dlm.ir.pass;

import org.dlm.ir.Graph;

/**
 * A graph-to-graph transformation. Graphs are immutable: a pass returns a new graph (or the same
 * one when it changed nothing). Passes are small and named; {@link PassManager} runs a list of
 * them, verifying, dumping or skipping any by {@link #name()}.
 *
 * <p>Two classic passes need no code here: dead-code elimination, because a graph is only what
 * is reachable from its outputs; and common-subexpression elimination, because nodes are
 * hash-consed (building the same op on the same operands gives the identical node).
 */
public interface Pass {
    /** Short kebab-case name used by {@code --dump-after=} and {@code --disable=}, e.g. {@code constant-folding}. */
    String name();

    Graph run(Graph g, PassContext cx);
}
