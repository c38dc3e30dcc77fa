package org.dlm.passes.lower;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.KernelParser;
import org.dlm.ir.kernel.KernelVerifier;
import org.dlm.ir.text.FileCheck;
import org.dlm.ir.text.IrParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lowering tests as text: each {@code lower/*.ir} file holds a graph, a {@code // RUN: lower DIM=n ...}
 * line binding its dims, and CHECK lines matched against the printed Kernel IR. Parameters are ones.
 */
class LoweringFileTest {
    @ParameterizedTest
    @ValueSource(strings = {"fuse_chain", "flat_loop", "views_and_gemm", "arena_reuse", "batch_norm_fold", "linear_weight_transpose",
            "conv_weight_grad", "conv_weight_grad_strided", "batch_norm_training", "batch_norm_grad_training", "conv_depthwise_pointwise",
            "conv_depthwise_phases_serial", "conv_depthwise_phases_parallel"})
    void loweredKernelIrMatches(String name) throws IOException {
        String text;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("lower/" + name + ".ir")) {
            assertNotNull(in, name);
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, Long> dims = new HashMap<>();
        for (String line : text.lines().toList())
            if (line.startsWith("// RUN: lower"))
                for (String kv : line.substring("// RUN: lower".length()).trim().split("\\s+"))
                    if (!kv.isEmpty()) dims.put(kv.split("=")[0], Long.parseLong(kv.split("=")[1]));
        Graph g = IrParser.parseChecked(text);
        Map<String, NdArray> params = new HashMap<>();
        for (Node p : g.params()) params.put(p.attrs().getString("name"), NdArray.full(p.dtype(), 1, p.shape().sizes()));
        Lowered low = GraphLowering.lower(g, dims, params);
        assertEquals(List.of(), KernelVerifier.check(low.module()));
        FileCheck.check(low.module().toString(), text);
        assertEquals(low.module(), KernelParser.parse(low.module().toString()), "Kernel IR text parses back to an equal module");
    }
}
