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
}
