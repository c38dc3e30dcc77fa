package org.dlm.ir.ops;

import java.util.List;
import org.dlm.ir.OpDef;
import org.dlm.ir.OpTable;

/** Op family: see {@link OpTable}. */
public final class ShapeOps implements OpTable.Family {
    @Override public List<OpDef> ops() {
        return List.of();
    }
}
