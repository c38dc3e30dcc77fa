package org.dlm.ir;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.ops.*;

/** The registry of every op. Each family class contributes its {@link OpDef}s; one entry per op. */
public final class OpTable {
    /** A group of related ops defined in one file. */
    public interface Family { List<OpDef> ops(); }

    private static final List<Family> FAMILIES = List.of(
            new CoreOps(), new ElementwiseOps(), new ReductionOps(), new ShapeOps(),
            new LinalgOps(), new NnOps(), new LossOps());

    private static final Map<String, OpDef> OPS;

    static {
        Map<String, OpDef> m = new LinkedHashMap<>();
        for (Family f : FAMILIES)
            for (OpDef d : f.ops())
                if (m.put(d.name(), d) != null) throw new IllegalStateException("op " + d.name() + " defined twice");
        OPS = Collections.unmodifiableMap(m);
    }

    private OpTable() {}

    /** The op named {@code name}, or null. */
    public static OpDef get(String name) { return OPS.get(name); }

    public static OpDef require(String name) {
        OpDef d = OPS.get(name);
        if (d == null) throw new ShapeException("unknown op '" + name + "'");
        return d;
    }

    public static Collection<OpDef> all() { return OPS.values(); }
}
