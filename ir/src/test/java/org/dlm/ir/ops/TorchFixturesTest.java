package org.dlm.ir.ops;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.TensorType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Larger random cases checked against PyTorch 1.13 (float64): kernels against
 * {@code fixtures/torch_ops.txt}, gradient rules against autograd in {@code fixtures/torch_grads.txt}.
 * The generating scripts sit beside the files; the tests only read them.
 */
class TorchFixturesTest {
    @TestFactory Stream<DynamicTest> kernelsMatchPyTorch() throws IOException {
        List<TorchFixtureFile.Case> cases = TorchFixtureFile.load("/fixtures/torch_ops.txt");
        assertTrue(cases.size() >= 40, "fixture file has all cases, got " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            NdArray got = OpRunner.run(c.op(), c.attrs(), c.inputs().toArray(NdArray[]::new));
            TorchFixtureFile.assertMatches(c.expected(), got, c.name());
        }));
    }

    @TestFactory Stream<DynamicTest> gradientsMatchAutograd() throws IOException {
        List<TorchFixtureFile.Case> cases = TorchFixtureFile.load("/fixtures/torch_grads.txt");
        assertTrue(cases.size() >= 20, "fixture file has all cases, got " + cases.size());
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            List<Node> ins = new ArrayList<>();
            Map<Node, NdArray> bind = new HashMap<>();
            for (int i = 0; i < c.inputs().size(); i++) {
                NdArray a = c.inputs().get(i);
                Node x = OpRunner.input("x" + i, new TensorType(a.dtype(), Shape.of(a.shape())));
                ins.add(x);
                bind.put(x, a);
            }
            Node f = Node.of(c.op(), ins, c.attrs());
            Node gy = OpRunner.input("gy", f.type());
            bind.put(gy, c.cotangent());
            List<Node> grads = f.op().gradRule().grad(f, gy);
            for (var e : c.grads().entrySet()) {
                Node g = grads.get(e.getKey());
                assertNotNull(g, c.name() + ": operand " + e.getKey() + " has a gradient");
                TorchFixtureFile.assertMatches(e.getValue(), OpTesting.eval(g, bind), c.name() + " d/d operand " + e.getKey());
            }
        }));
    }
}
