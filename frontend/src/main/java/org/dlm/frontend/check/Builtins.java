package org.dlm.frontend.check;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.dlm.ir.DType;

/** Names visible everywhere without an import. */
final class Builtins {
    private Builtins() {}

    /** Type names usable in annotations besides dtypes ({@code f32[...]}). */
    static final Set<String> SCALAR_TYPES = Set.of("int", "float", "bool", "string", "list", "any", "layer");

    static final Map<String, Object> VALUES;

    static {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("prim", new Values.Builtin("prim"));
        for (String b : new String[] {"Sequential", "len", "float", "int", "shape", "rank", "dtype", "is_list", "is_tensor"})
            m.put(b, new Values.Builtin(b));
        for (DType d : DType.values()) m.put(d.text(), d);
        VALUES = java.util.Collections.unmodifiableMap(m);
    }
}
