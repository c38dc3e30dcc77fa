package org.dlm.testmodels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.dlm.frontend.Compilation;
import org.dlm.frontend.Frontend;
import org.dlm.frontend.TrainSpec;
import org.dlm.ir.Graph;
import org.junit.jupiter.api.Test;

/** The documented example compiles to the graph its comments describe. */
class ExamplesTest {
    @Test
    void textClassifier() {
        String src = FrontendFuzzTest.resource("examples/text_classifier.dlm");
        Compilation c = Frontend.compile("text_classifier.dlm", src);
        StringBuilder sb = new StringBuilder();
        c.diagnostics().forEach(d -> sb.append(d.render()));
        assertTrue(c.ok(), sb.toString());
        Graph g = c.models().get("TextClassifier");
        assertEquals(List.of("i64[B, T]", "f32[B, 64]"), g.inputs().stream().map(n -> n.type().toString()).toList());
        assertEquals("f32[B, 4]", g.outputs().get(0).node().type().toString());
        assertEquals("f32[10000, 64]", g.param("embed.weight").type().toString());
        assertEquals("f32[256, 64]", g.param("blocks.0.up.weight").type().toString());
        assertNull(g.param("blocks.1.up.weight"), "only the first block has a feed-forward part");
        assertEquals("f32[192, 64]", g.param("blocks.2.attn.in_proj_weight").type().toString());
        assertEquals("f32[64, 64]", g.param("blocks.2.attn.out_proj.weight").type().toString());
        TrainSpec t = c.trainSpecs().get("TextClassifier");
        assertEquals(new TrainSpec.Call("adamw", List.of(), java.util.Map.of("lr", 3e-4, "weight_decay", 0.01)), t.settings().get("optimizer"));
        assertEquals("then", ((TrainSpec.Call) t.settings().get("schedule")).name());
    }

    @Test
    void designDocumentSampleCompiles() {
        Compilation c = Frontend.compile("lenet.dlm", """
                import std.nn.{Conv2d, Linear}
                import std.ops.{relu, max_pool2d, flatten}

                model LeNet {
                  conv1 = Conv2d(1, 6, kernel = 5, padding = 2)
                  conv2 = Conv2d(6, 16, kernel = 5)
                  fc1 = Linear(16 * 5 * 5, 120)
                  fc2 = Linear(120, 84)
                  fc3 = Linear(84, 10)

                  forward(x: f32[B, 1, 28, 28]) -> f32[B, 10] {
                    let h = max_pool2d(relu(conv1(x)), 2)
                    let h2 = max_pool2d(relu(conv2(h)), 2)
                    return fc3(relu(fc2(relu(fc1(flatten(h2))))))
                  }
                }

                train LeNet {
                  data = mnist("test-models/data/mnist", split = 0.9, augment = [random_crop(28, pad = 2)])
                  loss = cross_entropy(logits, labels)
                  optimizer = adam(lr = 1e-3, weight_decay = 1e-4)
                  schedule = warmup(100) then cosine()
                  epochs = 10; batch = 64; early_stop = patience(3, on = val.accuracy)
                }
                """);
        StringBuilder sb = new StringBuilder();
        c.diagnostics().forEach(d -> sb.append(d.render()));
        assertTrue(c.ok(), sb.toString());
        assertEquals(10, c.models().get("LeNet").params().size());
        TrainSpec.Call data = (TrainSpec.Call) c.trainSpecs().get("LeNet").settings().get("data");
        assertEquals(List.of(new TrainSpec.Call("random_crop", List.of(28L), java.util.Map.of("pad", 2L))), data.named().get("augment"));
    }
}
