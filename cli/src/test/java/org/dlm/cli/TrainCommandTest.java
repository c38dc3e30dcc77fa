package org.dlm.cli;

import static org.dlm.cli.DlmcTest.dlmc;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dlmc train} and {@code dlmc eval} in process, on the shipped MLP and MNIST digits. */
class TrainCommandTest {
    @TempDir Path tmp;

    static final Pattern STEP_EVENT = Pattern.compile("\"event\":\\s*\"step\""), LOSS = Pattern.compile("\"loss\":\\s*([0-9.eE+-]+)");
    static final Pattern ACCURACY = Pattern.compile("test accuracy ([0-9.]+) %");

    static List<Double> stepLosses(Path log) throws Exception {
        List<Double> losses = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            if (!STEP_EVENT.matcher(line).find()) continue;
            Matcher m = LOSS.matcher(line);
            assertTrue(m.find(), line);
            losses.add(Double.parseDouble(m.group(1)));
        }
        return losses;
    }

    static double accuracy(String out) {
        Matcher m = ACCURACY.matcher(out);
        assertTrue(m.find(), "no test accuracy in:\n" + out);
        return Double.parseDouble(m.group(1));
    }

    /**
     * The shipped MLP with a constant learning rate: its block warms up over 200 steps, which
     * leaves these few-step runs with nearly no learning rate.
     */
    Path mlpWithoutWarmup() throws Exception {
        String src;
        try (var in = TrainCommandTest.class.getResourceAsStream("/models/mlp.dlm")) {
            src = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String schedule = "    schedule = warmup(200) then cosine()\n";
        assertTrue(src.contains(schedule), src);
        Path f = tmp.resolve("mlp.dlm");
        Files.writeString(f, src.replace(schedule, ""));
        return f;
    }

    @Test void trainsMlpWritesArtifactsAndResumes() throws Exception {
        Path out = tmp.resolve("run");
        String mlp = mlpWithoutWarmup().toString();
        var r = dlmc("train", mlp, "--epochs", "1", "--limit-train", "256", "--limit-test", "128", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.out().contains("(llvm, "), r.out());   // compiled by default
        for (String f : List.of("model.safetensors", "train.jsonl", "plot.svg", "checkpoint.safetensors"))
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        assertTrue(Files.readString(out.resolve("plot.svg")).contains("<svg"));
        List<Double> losses = stepLosses(out.resolve("train.jsonl"));
        assertTrue(losses.size() >= 3, "step losses: " + losses);
        double first = losses.get(0), last = losses.get(losses.size() - 1);
        assertTrue(last < first, "loss did not decrease: " + losses);
        double acc = accuracy(r.out());
        assertTrue(acc > 30, r.out());

        // the trained weights load in run and eval
        var e = dlmc("eval", mlp, "--params", out.resolve("model.safetensors").toString(), "--limit", "128");
        assertEquals(0, e.code(), e.out() + e.err());
        assertEquals(acc, accuracy(e.out()), 100.0 / 128 + 1e-9, e.out());   // eval runs the same compiled model in batches of 250: at most one digit may differ
        assertTrue(e.out().contains("macro F1"), e.out());

        // resume: a second epoch continues from the checkpoint's step count
        int stepsBefore = losses.size();
        var r2 = dlmc("train", mlp, "--epochs", "2", "--limit-train", "256", "--limit-test", "128", "--out", out.toString(), "--resume");
        assertEquals(0, r2.code(), r2.out() + r2.err());
        assertTrue(r2.out().contains("resuming at epoch 2, step " + stepsBefore), r2.out());
        assertTrue(r2.out().contains("trained 1 epoch "), r2.out());
        List<Double> all = stepLosses(out.resolve("train.jsonl"));
        assertEquals(2 * stepsBefore, all.size(), "log appended on resume: " + all);

        // resuming a finished run trains nothing and says so
        var r3 = dlmc("train", mlp, "--epochs", "2", "--limit-train", "256", "--limit-test", "128", "--out", out.toString(), "--resume");
        assertEquals(0, r3.code(), r3.out() + r3.err());
        assertTrue(r3.err().contains("nothing to train"), r3.err());
        assertEquals(accuracy(r2.out()), accuracy(r3.out()), 1e-9);
    }

    @Test void interpreterBackendGivesTheCompiledLossesAndResumesTheSame() throws Exception {
        Path a = tmp.resolve("interp"), b = tmp.resolve("llvm");
        String mlp = mlpWithoutWarmup().toString();
        var ri = dlmc("train", mlp, "--backend", "interp", "--epochs", "1", "--limit-train", "200", "--limit-test", "64", "--out", a.toString());
        assertEquals(0, ri.code(), ri.out() + ri.err());
        assertTrue(ri.err().contains("reference interpreter (--backend interp)"), ri.err());
        var rl = dlmc("train", mlp, "--threads", "1", "--epochs", "1", "--limit-train", "200", "--limit-test", "64", "--out", b.toString());
        assertEquals(0, rl.code(), rl.out() + rl.err());
        assertTrue(rl.out().contains("(llvm, 1 thread, "), rl.out());
        List<Double> li = stepLosses(a.resolve("train.jsonl")), ll = stepLosses(b.resolve("train.jsonl"));
        assertEquals(li.size(), ll.size());
        for (int i = 0; i < li.size(); i++) assertEquals(li.get(i), ll.get(i), 1e-4 * Math.max(1, li.get(i)), "step " + i + ": " + li + " vs " + ll);
        // a compiled resume continues from the interpreter's checkpoint (same state names and layout)
        var resumed = dlmc("train", mlp, "--epochs", "2", "--limit-train", "200", "--limit-test", "64", "--out", a.toString(), "--resume");
        assertEquals(0, resumed.code(), resumed.out() + resumed.err());
        assertTrue(resumed.out().contains("resuming at epoch 2"), resumed.out());
    }

    @Test void unknownBackendAndAugmentationAreUserErrors() throws Exception {
        var r = dlmc("train", "mlp", "--backend", "gpu", "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--backend must be llvm or interp"), r.err());
        Path f = tmp.resolve("aug.dlm");
        Files.writeString(f, tinyWith("mnist(\"data/mnist\", flatten = true, augment = [mixup(0.2)])", ""));
        var a = dlmc("train", f.toString(), "--limit-train", "32", "--limit-test", "16", "--out", tmp.resolve("o2").toString());
        assertEquals(1, a.code(), a.out() + a.err());
        a.assertNoStackTrace();
        assertTrue(a.err().contains("unknown augmentation mixup") && a.err().contains("random_crop"), a.err());
    }

    static final String BAD = """
        import std.nn.{Linear}

        model Tiny {
            fc = Linear(784, 10)
            forward(x: f32[B, 784]) -> f32[B, 10] {
                return fc(x)
            }
        }

        train Tiny {
            data = mnist("data/mnist", flatten = true)
            loss = cross_entropy(logits, labels)
            optimizer = adam(lr = 1e-3, beta3 = 0.5)
            epochs = 1; batch = 16
        }
        """;

    @Test void badOptimizerArgumentIsAUserError() throws Exception {
        Path f = tmp.resolve("bad.dlm");
        Files.writeString(f, BAD);
        var r = dlmc("train", f.toString(), "--limit-train", "32", "--limit-test", "16", "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("beta3"), r.err());
    }

    @Test void resumeWithoutCheckpointIsAUserError() {
        var r = dlmc("train", "mlp", "--resume", "--out", tmp.resolve("none").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("no checkpoint"), r.err());
    }

    @Test void modelWithoutTrainBlockIsAUserError() throws Exception {
        Path f = tmp.resolve("tiny.dlm");
        Files.writeString(f, DlmcTest.TINY);
        var r = dlmc("train", f.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("no train block"), r.err());
    }

    static String tinyWith(String data, String extra) {
        return BAD.replace("mnist(\"data/mnist\", flatten = true)", data)
                  .replace("adam(lr = 1e-3, beta3 = 0.5)", "sgd(lr = 0.1)")
                  .replace("epochs = 1; batch = 16", "epochs = 1; batch = 16" + extra);
    }

    @Test void earlyStopWithoutValidationDataIsAUserError() throws Exception {
        Path f = tmp.resolve("es.dlm");
        Files.writeString(f, tinyWith("mnist(\"data/mnist\")", "\n    early_stop = patience(2, on = val.accuracy)"));
        var r = dlmc("train", f.toString(), "--limit-train", "32", "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("early_stop needs validation data") && r.err().contains("split = 0.9"), r.err());
    }

    @Test void missingDataFolderIsAUserError() throws Exception {
        Path f = tmp.resolve("nodata.dlm");
        Files.writeString(f, tinyWith("mnist(\"no/such/folder\")", ""));
        var r = dlmc("train", f.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("no/such/folder") && r.err().contains("no such directory"), r.err());
    }

    @Test void smallModelWithEarlyStoppingTrainsAndEvaluates() throws Exception {
        Path f = tmp.resolve("es.dlm");
        Files.writeString(f, tinyWith("mnist(\"data/mnist\", split = 0.75)", "\n    early_stop = patience(0, on = val.loss)\n    grad_clip = 1.0"));
        Path out = tmp.resolve("es-out");
        var r = dlmc("train", f.toString(), "--epochs", "3", "--limit-train", "400", "--limit-test", "200", "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("300 train / 100 validation / 200 test samples"), r.out());
        assertTrue(accuracy(r.out()) > 30, r.out());
        var e = dlmc("eval", f.toString(), "--params", out.resolve("model.safetensors").toString(), "--limit", "200");
        assertEquals(0, e.code(), e.out() + e.err());
        assertEquals(accuracy(r.out()), accuracy(e.out()), 1e-9);
    }
}
