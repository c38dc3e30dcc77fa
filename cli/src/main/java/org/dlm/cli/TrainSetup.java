package org.dlm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.dlm.frontend.TrainSpec;
import org.dlm.ir.Attrs;
import org.dlm.ir.Dim;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.passes.train.Losses;
import org.dlm.runtime.data.Dataset;
import org.dlm.runtime.io.MnistData;

/**
 * What {@code dlmc train} and {@code dlmc eval} share: the model of a {@code train} block with
 * its loss attached, and the block's data sets shaped for the model's input.
 *
 * @param spec       the train block
 * @param model      the model graph, as compiled
 * @param withLoss   the model with input {@code labels} and output {@code loss} (evaluation form)
 * @param prediction the model output the loss is computed on
 * @param features   the model input that takes the data's features
 */
record TrainSetup(TrainSpec spec, Graph model, Graph withLoss, String prediction, String features) {
    /** The shipped MNIST subset stands in for this path when it does not exist on disk. */
    static final String SHIPPED_MNIST = "data/mnist";

    static TrainSetup of(ModelSource src) {
        Map<String, TrainSpec> specs = src.compilation().trainSpecs();
        if (specs.isEmpty())
            throw CliException.user(src.display() + " has no train block", "add one, e.g. train MLP { data = mnist(\"data/mnist\") ... } (see docs/language.md)");
        if (specs.size() > 1)
            throw CliException.unsupported(src.display() + " has several train blocks (" + String.join(", ", specs.keySet()) + ")", "keep one train block per file");
        TrainSpec spec = specs.values().iterator().next();
        Graph g = src.compilation().models().get(spec.model());
        if (g == null) throw CliException.user("train block names model '" + spec.model() + "', which " + src.display() + " does not define");
        if (g.inputs().size() != 1)
            throw CliException.unsupported("model " + g.name() + " has " + g.inputs().size() + " inputs; dlmc train feeds one input from the data set", null);
        TrainSpec.Call loss = call(spec, "loss");
        if (loss == null) throw CliException.user("train block of " + g.name() + " has no 'loss' setting", "add loss = cross_entropy(logits, labels)");
        String prediction = predictionOutput(g, loss);
        Graph withLoss;
        try {
            withLoss = Losses.attach(g, prediction, loss.name(), lossAttrs(loss));
        } catch (IllegalArgumentException e) {
            throw CliException.user("train block of " + g.name() + ": loss " + loss.name() + ": " + e.getMessage());
        }
        return new TrainSetup(spec, g, withLoss, prediction, g.inputs().get(0).attrs().getString("name"));
    }

    /** The first argument of the loss call names the prediction; an unnamed model output ({@code output}) stands for it. */
    private static String predictionOutput(Graph g, TrainSpec.Call loss) {
        String want = loss.args().isEmpty() || !(loss.args().get(0) instanceof String s) ? null : s;
        if (want != null && g.output(want) != null) return want;
        if (g.outputs().size() == 1) return g.outputs().get(0).name();
        throw CliException.user("loss " + loss.name() + "(" + want + ", ...): model " + g.name() + " has no output '" + want + "'",
            "its outputs: " + String.join(", ", g.outputs().stream().map(Graph.Output::name).toList()));
    }

    private static Attrs lossAttrs(TrainSpec.Call loss) {
        Attrs a = Attrs.EMPTY;
        for (var e : loss.named().entrySet()) a = a.with(e.getKey(), e.getValue());
        return a;
    }

    static TrainSpec.Call call(TrainSpec spec, String setting) {
        Object v = spec.settings().get(setting);
        if (v == null) return null;
        if (v instanceof TrainSpec.Call c) return c;
        if (v instanceof String s) return new TrainSpec.Call(s, List.of(), Map.of());
        throw CliException.user("train block of " + spec.model() + ": '" + setting + "' must be a call such as name(...), got " + v);
    }

    static long longSetting(TrainSpec spec, String setting, long dflt) {
        Object v = spec.settings().get(setting);
        if (v == null) return dflt;
        if (v instanceof Long l) return l;
        throw CliException.user("train block of " + spec.model() + ": '" + setting + "' must be an integer, got " + v);
    }

    static double doubleSetting(TrainSpec spec, String setting, double dflt) {
        Object v = spec.settings().get(setting);
        if (v == null) return dflt;
        if (v instanceof Number n) return n.doubleValue();
        throw CliException.user("train block of " + spec.model() + ": '" + setting + "' must be a number, got " + v);
    }

    /** The block's {@code data} call, read: "train" or "t10k" split, shaped for the model's input. */
    Dataset data(String split) throws IOException {
        TrainSpec.Call d = call(spec, "data");
        if (d == null) throw CliException.user("train block of " + spec.model() + " has no 'data' setting", "add data = mnist(\"data/mnist\")");
        if (!d.name().equals("mnist"))
            throw CliException.unsupported("data = " + d.name() + "(...) is not supported by dlmc train yet", "use data = mnist(\"data/mnist\")");
        String dir = d.args().isEmpty() ? SHIPPED_MNIST : String.valueOf(d.args().get(0));
        Path p = Path.of(dir);
        Dataset ds;
        if (Files.isDirectory(p)) ds = MnistData.load(p, split);
        else if (dir.equals(SHIPPED_MNIST) || dir.equals(SHIPPED_MNIST + "/")) ds = MnistData.shipped(split);
        else throw CliException.user("mnist(\"" + dir + "\"): no such directory", "give a folder with the MNIST IDX files, or \"data/mnist\" for the shipped digits");
        return shaped(ds);
    }

    /** The block's validation fraction ({@code split = 0.9} keeps 90 % for training), or 0. */
    double trainFraction() {
        TrainSpec.Call d = call(spec, "data");
        Object f = d == null ? null : d.named().get("split");
        if (f == null) return 0;
        if (f instanceof Number n && n.doubleValue() > 0 && n.doubleValue() < 1) return n.doubleValue();
        throw CliException.user("train block of " + spec.model() + ": data split must be a fraction in (0, 1), got " + f);
    }

    /**
     * The data call's {@code augment = [random_crop(28, pad = 2), random_rotation(10), ...]} as one
     * augmentation, or null. Works on the samples as images: a flattened MNIST sample (784 values)
     * is treated as 28×28 and flattened back.
     */
    org.dlm.runtime.data.Augmentation augmentation() {
        TrainSpec.Call d = call(spec, "data");
        Object a = d == null ? null : d.named().get("augment");
        if (a == null) return null;
        List<?> items = a instanceof List<?> l ? l : List.of(a);
        String where = "train block of " + spec.model() + ": augment";
        List<org.dlm.runtime.data.Augmentation> steps = new ArrayList<>();
        for (Object o : items) {
            TrainSpec.Call c = o instanceof TrainSpec.Call call ? call : o instanceof String n ? new TrainSpec.Call(n, List.of(), Map.of()) : null;
            if (c == null) throw CliException.user(where + " must list calls such as random_crop(28, pad = 2), got " + o);
            steps.add(switch (c.name()) {
                case "random_crop" -> {
                    int size = (int) number(where, c, 0, "size", 28);
                    yield new org.dlm.runtime.data.RandomCrop(size, size, (int) number(where, c, 1, "pad", 0));
                }
                case "random_rotation" -> new org.dlm.runtime.data.RandomRotation(number(where, c, 0, "degrees", 10));
                case "gaussian_noise" -> new org.dlm.runtime.data.GaussianNoise(number(where, c, 0, "std", 0.1));
                case "horizontal_flip" -> new org.dlm.runtime.data.HorizontalFlip(number(where, c, 0, "p", 0.5));
                default -> throw CliException.user(where + ": unknown augmentation " + c.name() + "(...)",
                    "use random_crop(size, pad = p), random_rotation(degrees), gaussian_noise(std) or horizontal_flip(p)");
            });
        }
        org.dlm.runtime.data.Augmentation all = org.dlm.runtime.data.Augmentation.compose(steps.toArray(org.dlm.runtime.data.Augmentation[]::new));
        return (x, rnd) -> {
            if (x.rank() != 1) return all.apply(x, rnd);
            int side = (int) Math.round(Math.sqrt(x.size()));
            if (side * side != x.size()) throw new IllegalArgumentException("augmentation needs image samples, got " + x.size() + " values per sample");
            return all.apply(x.reshape(side, side), rnd).reshape(x.size());
        };
    }

    private static double number(String where, TrainSpec.Call c, int position, String name, double dflt) {
        Object v = c.named().containsKey(name) ? c.named().get(name) : position < c.args().size() ? c.args().get(position) : null;
        if (v == null) return dflt;
        if (v instanceof Number n) return n.doubleValue();
        throw CliException.user(where + ": " + c.name() + " argument " + name + " must be a number, got " + v);
    }

    /** Reshapes image features to the model input's per-sample dims ([N, 784], [N, 1, 28, 28], ...). */
    private Dataset shaped(Dataset ds) {
        Node x = model.inputs().get(0);
        List<Dim> dims = x.shape().dims();
        long per = 1;
        List<Long> shape = new ArrayList<>();
        shape.add((long) ds.size());
        for (int i = 1; i < dims.size(); i++) {
            if (!dims.get(i).isConst())
                throw CliException.unsupported("input " + x.type() + " of " + model.name() + " has a symbolic dim after the batch dim", null);
            per *= dims.get(i).value();
            shape.add(dims.get(i).value());
        }
        long have = ds.features().size() / Math.max(1, ds.size());
        if (dims.isEmpty() || per != have)
            throw CliException.user("model " + model.name() + " takes " + x.type() + " but the data has " + have + " values per sample",
                "its input must hold [batch, ...] with " + have + " values per sample");
        long[] s = shape.stream().mapToLong(Long::longValue).toArray();
        return ds.withFeatures(ds.features().reshape(s).cast(x.dtype()));
    }
}
