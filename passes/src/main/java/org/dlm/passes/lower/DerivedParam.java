package org.dlm.passes.lower;

import java.util.List;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;

/** Parameters computed at compile time from other parameters (folded, transposed): f32, not trainable. */
final class DerivedParam {
    private DerivedParam() {}

    static Node node(String name, long[] shape) {
        return Node.of("param", List.of(), Attrs.of("name", name, "dtype", DType.F32, "shape", Shape.of(shape), "trainable", false));
    }
}
