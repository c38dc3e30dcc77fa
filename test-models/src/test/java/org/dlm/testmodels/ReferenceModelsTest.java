package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Diagnostic;
import org.dlm.frontend.Frontend;
import org.dlm.frontend.TrainSpec;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The five reference models compile, and their parameters are exactly PyTorch's state_dict of
 * shared/bench/peers/export_models.py (names, shapes, order), so weights.npz loads by name.
 */
class ReferenceModelsTest {
    static String source(String model) {
        try (InputStream in = ReferenceModelsTest.class.getClassLoader().getResourceAsStream("models/" + model + ".dlm")) {
            assertNotNull(in, "models/" + model + ".dlm on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static Graph compile(String model, String name) {
        Compilation c = Frontend.compile(model + ".dlm", source(model));
        StringBuilder sb = new StringBuilder();
        c.diagnostics().forEach(d -> sb.append(d.render()));
        assertTrue(c.ok(), sb.toString());
        assertTrue(c.diagnostics().stream().noneMatch(d -> d.severity() == Diagnostic.Severity.ERROR));
        Graph g = c.models().get(name);
        assertNotNull(g, name + " in " + c.models().keySet());
        assertEquals(List.of("output"), g.outputs().stream().map(Graph.Output::name).toList());
        return g;
    }

    static Map<String, String> params(Graph g) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Node p : g.params()) m.put(p.attrs().getString("name"), p.shape().toString());
        return m;
    }

    static long count(Graph g) {
        long n = 0;
        for (Node p : g.params()) n += p.shape().numel().value();
        return n;
    }

    @Test
    void mlpMatchesTheStateDict() {
        Graph g = compile("mlp", "MLP");
        assertEquals(List.of(
                "fc1.weight=[512, 784]", "fc1.bias=[512]", "fc2.weight=[512, 512]", "fc2.bias=[512]",
                "fc3.weight=[10, 512]", "fc3.bias=[10]"),
                params(g).entrySet().stream().map(Object::toString).toList());
        assertEquals("f32[B, 784]", g.inputs().get(0).type().toString());
        assertEquals("f32[B, 10]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void lenetMatchesTheStateDict() {
        Graph g = compile("lenet", "LeNet");
        assertEquals(List.of(
                "conv1.weight=[6, 1, 5, 5]", "conv1.bias=[6]", "conv2.weight=[16, 6, 5, 5]", "conv2.bias=[16]",
                "fc1.weight=[120, 400]", "fc1.bias=[120]", "fc2.weight=[84, 120]", "fc2.bias=[84]",
                "fc3.weight=[10, 84]", "fc3.bias=[10]"),
                params(g).entrySet().stream().map(Object::toString).toList());
        assertEquals("f32[B, 1, 28, 28]", g.inputs().get(0).type().toString());
        assertEquals("f32[B, 10]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void resnet20MatchesTheStateDict() {
        Graph g = compile("resnet20", "ResNet20");
        Map<String, String> p = params(g);
        assertEquals(107, p.size());
        assertEquals(274042, count(g));   // every float of the state_dict, BN running stats included
        assertEquals("[32, 16, 1, 1]", p.get("layers.3.shortcut.0.weight"));
        assertEquals("[32]", p.get("layers.3.shortcut.1.running_var"));
        assertEquals("[64]", p.get("layers.8.bn2.running_var"));
        assertNull(p.get("layers.1.shortcut.0.weight"), "identity shortcut has no params");
        assertEquals("[10, 64]", p.get("fc.weight"));
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "layers.0.conv1.weight"),
                p.keySet().stream().limit(6).toList());
        assertFalse(g.param("bn1.running_mean").attrs().getBool("trainable", true));
        assertEquals("f32[B, 10]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void mobilenetMatchesTheStateDict() {
        Graph g = compile("mobilenet", "MobileNet");
        Map<String, String> p = params(g);
        assertEquals(87, p.size());
        assertEquals("[32, 3, 3, 3]", p.get("stem.0.weight"));
        assertEquals("[128]", p.get("blocks.3.1.running_mean"));
        assertEquals("[128, 1, 3, 3]", p.get("blocks.3.0.weight"));
        assertEquals("[512, 512, 1, 1]", p.get("blocks.7.3.weight"));
        assertEquals("[10, 512]", p.get("fc.weight"));
        assertEquals("f32[B, 10]", g.outputs().get(0).node().type().toString());
    }

    @Test
    void transformerMatchesTheStateDict() {
        Graph g = compile("transformer", "Transformer");
        Map<String, String> p = params(g);
        assertEquals(26, p.size());
        assertEquals(1582090, count(g));
        assertEquals("[768, 256]", p.get("layers.1.qkv.weight"));
        assertEquals("[256, 256]", p.get("layers.0.proj.weight"));
        assertEquals("[1024, 256]", p.get("layers.0.ff1.weight"));
        assertEquals("[256]", p.get("layers.1.norm2.bias"));
        assertEquals("[10, 256]", p.get("head.weight"));
        assertEquals("f32[B, 128, 256]", g.inputs().get(0).type().toString());
        assertEquals("f32[B, 10]", g.outputs().get(0).node().type().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp", "lenet"})
    void mnistModelsCarryATrainBlock(String model) {
        Compilation c = Frontend.compile(model + ".dlm", source(model));
        TrainSpec t = c.trainSpecs().values().iterator().next();
        assertEquals(new TrainSpec.Call("adam", List.of(), Map.of("lr", 2e-3)), t.settings().get("optimizer"));
        assertEquals("then", ((TrainSpec.Call) t.settings().get("schedule")).name());   // warmup(200) then cosine()
        assertEquals(model.equals("lenet") ? 32L : 64L, t.settings().get("batch"));
        assertEquals(10L, t.settings().get("epochs"));
        assertEquals("mnist", ((TrainSpec.Call) t.settings().get("data")).name());
        assertEquals(List.of("data/mnist"), ((TrainSpec.Call) t.settings().get("data")).args());
        assertEquals("cross_entropy", ((TrainSpec.Call) t.settings().get("loss")).name());
        List<?> augment = (List<?>) ((TrainSpec.Call) t.settings().get("data")).named().get("augment");
        assertEquals(List.of("random_crop", "random_rotation"), augment.stream().map(a -> ((TrainSpec.Call) a).name()).toList());
    }
}
