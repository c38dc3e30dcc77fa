package org.dlm.passes.autodiff;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.dlm.ir.Graph;
import org.dlm.ir.pass.Pass;
import org.dlm.ir.pass.PassContext;

/**
 * {@link Autodiff} as a pass named {@code autodiff}. Options: {@code autodiff.loss} (the loss
 * output, default {@code loss}) and {@code autodiff.frozen} (comma-separated parameter names).
 *
 * <pre>{@code
 * Graph g2 = new AutodiffPass().run(g, new PassContext().set("autodiff.frozen", "embed.weight"));
 * }</pre>
 */
public final class AutodiffPass implements Pass {
    @Override public String name() { return "autodiff"; }

    @Override public Graph run(Graph g, PassContext cx) {
        String loss = cx.option("autodiff.loss", "loss");
        Set<String> frozen = Arrays.stream(cx.option("autodiff.frozen", "").split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
        Graph out = Autodiff.differentiate(g, loss, frozen);
        cx.remark(name(), "added " + (out.outputs().size() - g.outputs().size()) + " gradient outputs for loss '" + loss + "'");
        return out;
    }
}
