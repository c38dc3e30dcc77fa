package org.dlm.backend.llvm.codegen;

import static org.junit.jupiter.api.Assertions.*;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.kernel.Stmt;
import org.junit.jupiter.api.Test;

/**
 * ResNet-20's repeated layers share statement functions, and the code split over several modules
 * (compiled concurrently, linked into one JIT) computes what one module does.
 */
class StatementFunctionsTest {
    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void repeatedLayersShareOneFunction() {
        Graph g = org.dlm.runtime.testkit.ReferenceModels.model("resnet20", "ResNet20");
        Map<String, NdArray> ps = org.dlm.runtime.testkit.ReferenceModels.params(g, new Random(1));
        try (LlvmExecutable exe = LlvmBackend.compile(g, ps, LlvmBackend.Options.dims(Map.of("B", 1L)).withLlvmIr())) {
            long statements = exe.lowered().module().body().stream().filter(s -> s instanceof Stmt.Loop || s instanceof Stmt.Call).count();
            int defined = count(exe.llvmIr(), "define [^@]*@dlm_run_stmt\\d+\\(");
            assertTrue(defined > 0, "statement functions exist");
            assertTrue(defined * 2 < statements, defined + " functions for " + statements + " statements");
        }
    }

    @Test
    void codeSplitOverModulesComputesTheSame() {
        Graph g = org.dlm.runtime.testkit.ReferenceModels.model("resnet20", "ResNet20");
        Random r = new Random(3);
        Map<String, NdArray> ps = org.dlm.runtime.testkit.ReferenceModels.params(g, r);
        Map<String, NdArray> in = new LinkedHashMap<>();
        for (Node x : g.inputs()) in.put(x.attrs().getString("name"), Diff.random(r, x.dtype(), x.shape().substitute(Map.of("B", 2L)).sizes(), -1, 1));
        String before = System.getProperty("dlm.llvm.modules");
        try {
            for (int modules : new int[] {1, 3}) {
                System.setProperty("dlm.llvm.modules", Integer.toString(modules));
                double worst = Diff.compare(g, in, ps, LlvmBackend.Options.dims(Map.of("B", 2L)), 1e-3);
                assertTrue(worst < 1e-3, modules + " modules: worst relative error " + worst);
                try (LlvmExecutable exe = LlvmBackend.compile(g, ps, LlvmBackend.Options.dims(Map.of("B", 2L)))) {
                    assertEquals(modules, exe.compilePhases().modules());
                }
            }
        } finally {
            if (before == null) System.clearProperty("dlm.llvm.modules");
            else System.setProperty("dlm.llvm.modules", before);
        }
    }
}
