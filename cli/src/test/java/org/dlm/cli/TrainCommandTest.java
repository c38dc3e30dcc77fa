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

    @Test void trainsMlpWritesArtifactsAndResumes() throws Exception {
        Path out = tmp.resolve("run");
        var r = dlmc("train", "mlp", "--epochs", "1", "--limit-train", "256", "--limit-test", "128", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        r.assertNoStackTrace();
        assertTrue(r.err().contains("reference interpreter"), r.err());
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
        var e = dlmc("eval", "mlp", "--params", out.resolve("model.safetensors").toString(), "--limit", "128");
        assertEquals(0, e.code(), e.out() + e.err());
        assertEquals(acc, accuracy(e.out()), 1e-9, e.out());
        assertTrue(e.out().contains("macro F1"), e.out());

        // resume: a second epoch continues from the checkpoint's step count
        int stepsBefore = losses.size();
        var r2 = dlmc("train", "mlp", "--epochs", "2", "--limit-train", "256", "--limit-test", "128", "--out", out.toString(), "--resume");
        assertEquals(0, r2.code(), r2.out() + r2.err());
        assertTrue(r2.out().contains("resuming at epoch 2, step " + stepsBefore), r2.out());
        assertTrue(r2.out().contains("trained 1 epoch "), r2.out());
        List<Double> all = stepLosses(out.resolve("train.jsonl"));
        assertEquals(2 * stepsBefore, all.size(), "log appended on resume: " + all);

        // resuming a finished run trains nothing and says so
        var r3 = dlmc("train", "mlp", "--epochs", "2", "--limit-train", "256", "--limit-test", "128", "--out", out.toString(), "--resume");
        assertEquals(0, r3.code(), r3.out() + r3.err());
        assertTrue(r3.err().contains("nothing to train"), r3.err());
        assertEquals(accuracy(r2.out()), accuracy(r3.out()), 1e-9);
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
