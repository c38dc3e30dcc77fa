package org.dlm.passes.lower;

import java.util.List;

/** The graph cannot be lowered: every reason at once (unsupported ops, missing parameters, unbound dims). */
public final class LoweringException extends RuntimeException {
    private final List<String> problems;

    public LoweringException(List<String> problems) {
        super(problems.size() == 1 ? problems.get(0) : problems.size() + " problems:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() { return problems; }
}
