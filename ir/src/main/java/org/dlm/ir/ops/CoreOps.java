package org.dlm.ir.ops;

import static org.dlm.ir.OpDef.AttrKind.*;

import java.util.List;
import org.dlm.ir.Constant;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;

/** Leaves of the graph: inputs, parameters, constants. The interpreter binds inputs and params itself. */
public final class CoreOps implements OpTable.Family {
    @Override public List<OpDef> ops() {
        return List.of(
            OpDef.builder("input").inputs(0)
                .attr("name", STRING, null, "input name")
                .attr("dtype", DTYPE, null, "element type")
                .attr("shape", SHAPE, null, "shape, may be symbolic")
                .shape((in, a) -> new TensorType(a.getDType("dtype", null), a.getShape("shape")))
                .kernel((in, a, out) -> { throw new IllegalStateException("input " + a.getString("name") + " is bound by the interpreter"); })
                .doc("A graph input.")
                .build(),
            OpDef.builder("param").inputs(0)
                .attr("name", STRING, null, "dotted parameter path, e.g. conv1.weight")
                .attr("dtype", DTYPE, null, "element type")
                .attr("shape", SHAPE, null, "static shape")
                .attr("init", STRING, "zeros", "initializer spec, e.g. kaiming_uniform(fan_in=400)")
                .attr("trainable", BOOL, true, "false for buffers such as batch-norm running statistics")
                .shape((in, a) -> new TensorType(a.getDType("dtype", null), a.getShape("shape")))
                .kernel((in, a, out) -> { throw new IllegalStateException("param " + a.getString("name") + " is bound by the interpreter"); })
                .doc("A model parameter (weight or buffer).")
                .build(),
            OpDef.builder("const").inputs(0)
                .attr("value", CONSTANT, null, "literal data")
                .shape((in, a) -> ((Constant) a.get("value")).type())
                .kernel((in, a, out) -> {
                    Constant c = (Constant) a.get("value");
                    return new NdArray(c.type().dtype(), c.type().shape().sizes(), c.values());
                })
                .doc("A literal tensor.")
                .build());
    }
}
