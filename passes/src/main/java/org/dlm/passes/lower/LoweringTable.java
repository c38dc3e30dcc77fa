package org.dlm.passes.lower;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every op the LLVM/Kernel IR path can lower, keyed by op name (docs/ops.md). Families register
 * their entries here; adding an op means adding one entry in its family's file.
 */
public final class LoweringTable {
    private final Map<String, OpLowering> rules = new TreeMap<>();

    private static final LoweringTable DEFAULT = create();

    public static LoweringTable standard() { return DEFAULT; }

    private static LoweringTable create() {
        LoweringTable t = new LoweringTable();
        ElementwiseLowering.register(t);
        ShapeLowering.register(t);
        ReductionLowering.register(t);
        NormLowering.register(t);
        LinalgLowering.register(t);
        ConvLowering.register(t);
        ConvGradLowering.register(t);
        NormGradLowering.register(t);
        LossLowering.register(t);
        LinalgGradLowering.register(t);
        return t;
    }

    void elementwise(String op, boolean pointwise, OpLowering.ExprRule rule) { put(op, new OpLowering.Elementwise(pointwise, rule)); }
    void statements(String op, OpLowering.StmtRule rule) { put(op, new OpLowering.Statements(rule)); }
    void view(String op) { put(op, new OpLowering.View()); }

    private void put(String op, OpLowering rule) {
        if (rules.put(op, rule) != null) throw new IllegalStateException("two lowerings for op " + op);
    }

    public OpLowering get(String op) { return rules.get(op); }
    public Set<String> ops() { return rules.keySet(); }
}
