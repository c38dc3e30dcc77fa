package org.dlm.frontend.builder;

import org.dlm.ir.Node;

/**
 * A parameter being declared. {@link #init} and {@link #trainable} may be called before or after
 * the parameter is used; {@link GraphBuilder#build()} puts the final settings into the graph.
 *
 * <pre>{@code
 * Param w = b.param("fc.weight", DType.F32, 10, 784).init("kaiming_uniform(fan_in=784)");
 * Param mean = b.param("bn.running_mean", DType.F32, 64).init("zeros").trainable(false);
 * }</pre>
 */
public final class Param extends Value {
    private final String name;
    private String init;
    private Boolean trainable;

    Param(GraphBuilder b, Node n, String name) {
        super(b, n);
        this.name = name;
    }

    public String name() { return name; }

    /** Initializer spec, e.g. {@code "kaiming_uniform"}, {@code "normal(std=0.02)"}, {@code "ones"}; default {@code "zeros"}. */
    public Param init(String spec) {
        if (spec == null || spec.isBlank()) throw CallSite.error("parameter " + name + ": empty initializer", "e.g. \"zeros\", \"kaiming_uniform\"");
        init = spec;
        return this;
    }

    /** False for buffers that training must not update (batch-norm running statistics). */
    public Param trainable(boolean on) {
        trainable = on;
        return this;
    }

    /** The param node with the final attributes. */
    Node finalNode() {
        var a = node().attrs();
        if (init != null) a = a.with("init", init);
        if (trainable != null) a = a.with("trainable", trainable);
        return a.equals(node().attrs()) ? node() : builder().leaf("param", a);
    }
}
