package org.dlm.passes.lower;

import java.util.List;
import java.util.Map;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Buffer;
import org.dlm.ir.kernel.KernelModule;

/**
 * A graph lowered to Kernel IR for static shapes: the module (memory already planned), the
 * parameter block's contents by buffer name, the entry signature: input and output buffers
 * (slots in signature order) with their static types, and the buffer of each graph parameter by
 * its name (a parameter folded into derived constants has none).
 */
public record Lowered(KernelModule module, Map<String, NdArray> paramData, List<Port> inputs, List<Port> outputs, long peakArenaBytes,
                      Map<String, Buffer> params) {
    public Lowered(KernelModule module, Map<String, NdArray> paramData, List<Port> inputs, List<Port> outputs, long peakArenaBytes) {
        this(module, paramData, inputs, outputs, peakArenaBytes, Map.of());
    }

    /** One named input or output of the entry function. */
    public record Port(String name, TensorType type, Buffer buffer) {}
}
