package org.dlm.cli;

import java.io.PrintWriter;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.dlm.backend.llvm.LlvmBackend;
import org.dlm.backend.llvm.LlvmExecutable;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.passes.lower.LoweringException;
import org.dlm.passes.train.GradPolicy;
import org.dlm.passes.train.Losses;
import org.dlm.passes.train.Optimizer;
import org.dlm.passes.train.Optimizers;
import org.dlm.passes.train.TrainStep;
import org.dlm.passes.train.TrainingMode;
import org.dlm.runtime.Tensor;

/**
 * {@code dlmc bench MODEL --train}: the time of one compiled training step, as the peer
 * benchmark's {@code bench_train} measures PyTorch: SGD(lr=0.01, momentum=0.9) on cross-entropy
 * of the model's (first) output against random class ids drawn with a fixed seed, one fixed input
 * batch; forward, backward and update in one native call, parameters and momentum kept in the
 * executable. A model whose step cannot be compiled gets a record with an {@code error} field.
 */
final class TrainBench {
    private TrainBench() {}

    static final String OPTIMIZER = "SGD(lr=0.01,momentum=0.9)+CrossEntropy";

    /** One record per thread count; returns false when the step could not be built or compiled. */
    static boolean run(PrintWriter out, Graph g, String modelName, long batch, List<Integer> threadCounts, Map<String, NdArray> weights,
                       Map<String, Long> bound, Map<String, NdArray> inputs, double minTime, int minReps, boolean json) {
        boolean ok = true;
        for (int t : threadCounts) {
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("bench", "train");
            rec.put("peer", BenchCommand.PEER);
            rec.put("model", modelName);
            rec.put("batch", batch);
            rec.put("threads", t);
            try {
                measure(rec, g, batch, t, weights, bound, inputs, minTime, minReps);
            } catch (LoweringException e) {
                rec.put("error", "cannot compile the training step: " + String.join("; ", e.problems()));
                ok = false;
            } catch (IllegalArgumentException | org.dlm.ir.ShapeException | org.dlm.passes.autodiff.AutodiffException e) {
                rec.put("error", "cannot build the training step: " + e.getMessage());
                ok = false;
            }
            rec.put("ts", LocalDateTime.now().withNano(0).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
            if (json) out.println(BenchCommand.toJson(rec));
            else if (rec.containsKey("error")) out.printf("%s train step, batch %d, %d thread%s: %s%n", modelName, batch, t, t == 1 ? "" : "s", rec.get("error"));
            else out.printf(java.util.Locale.ROOT, "%s train step (%s), batch %d, %d thread%s: median %.3f ms (p10 %.3f, p90 %.3f, %s steps), %.1f samples/s, CPU %s ms/step, compiled in %.1f s (%s)%n",
                modelName, OPTIMIZER, batch, t, t == 1 ? "" : "s", rec.get("median_ms"), rec.get("p10_ms"), rec.get("p90_ms"), rec.get("reps"),
                rec.get("samples_per_s"), rec.getOrDefault("cpu_ms_per_step", "?"), (Double) rec.get("compile_ms") / 1000, rec.get("compile_phases"));
            out.flush();
        }
        return ok;
    }

    private static void measure(Map<String, Object> rec, Graph g, long batch, int threads, Map<String, NdArray> weights, Map<String, Long> bound,
                                Map<String, NdArray> inputs, double minTime, int minReps) {
        String prediction = g.outputs().get(0).name();
        Graph withLoss = Losses.attach(g, prediction, "cross_entropy", Attrs.EMPTY);
        Optimizer sgd = Optimizers.create("sgd", List.of(), Map.of("lr", 0.01, "momentum", 0.9)).optimizer();
        Graph step = TrainStep.fused(TrainingMode.apply(withLoss, TrainingMode.DEFAULT_MOMENTUM), "loss", Set.of(), sgd, GradPolicy.NONE);
        Map<String, NdArray> params = new LinkedHashMap<>();
        for (Node p : step.params()) {
            String n = p.attrs().getString("name");
            NdArray w = weights.get(n);
            params.put(n, w != null ? w : NdArray.full(p.dtype(), initValue(p), p.shape().substitute(bound).sizes()));
        }
        long classes = g.outputs().get(0).node().shape().substitute(bound).sizes()[1];
        Random r = new Random(4243);
        double[] ids = new double[(int) batch];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt((int) classes);
        List<Tensor> owned = new ArrayList<>();
        try (LlvmExecutable exe = LlvmBackend.compile(step, params, LlvmBackend.Options.dims(bound).withThreads(threads).updatingInPlace())) {
            Map<String, Tensor> feed = new LinkedHashMap<>();
            for (var e : inputs.entrySet()) feed.put(e.getKey(), own(owned, Tensor.of(e.getValue())));
            feed.put("labels", own(owned, Tensor.of(NdArray.of(step.input("labels").dtype(), new long[] {batch}, ids))));
            long t = 0;
            long warmEnd = System.nanoTime() + (long) (Math.min(0.3, minTime) * 1e9);
            double loss0 = 0;
            for (int n = 0; n < 3 || System.nanoTime() < warmEnd; n++) {
                double l = step(exe, feed, sgd, ++t, owned);
                if (n == 0) loss0 = l;
            }
            long[] times = new long[2000];
            int reps = 0;
            long stop = System.nanoTime() + (long) (minTime * 1e9);
            double last = 0;
            StatementProfile profile = new StatementProfile(exe);   // of the timed steps only
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os instanceof com.sun.management.OperatingSystemMXBean m ? m.getProcessCpuTime() : -1;
            while (reps < times.length && (reps < minReps || System.nanoTime() < stop)) {
                long a = System.nanoTime();
                last = step(exe, feed, sgd, ++t, owned);
                times[reps++] = System.nanoTime() - a;
                profile.afterCall();
            }
            // CPU time of the process per step (all threads, spinning workers included): on a shared machine a
            // steadier measure of the work than the wall time, which counts the time other processes held the cores
            long cpu1 = os instanceof com.sun.management.OperatingSystemMXBean m ? m.getProcessCpuTime() : -1;
            if (cpu0 >= 0 && cpu1 >= 0) rec.put("cpu_ms_per_step", BenchCommand.round((cpu1 - cpu0) / 1e6 / reps, 3));
            long[] s = Arrays.copyOf(times, reps);
            Arrays.sort(s);
            profile.print(s[0] / 1e6);
            double median = (reps % 2 == 1 ? s[reps / 2] : (s[reps / 2 - 1] + s[reps / 2]) / 2.0) / 1e6;
            rec.put("median_ms", BenchCommand.round(median, 4));
            rec.put("p10_ms", BenchCommand.round(s[Math.min(reps - 1, (int) (0.1 * reps))] / 1e6, 4));
            rec.put("p90_ms", BenchCommand.round(s[Math.min(reps - 1, (int) (0.9 * reps))] / 1e6, 4));
            rec.put("min_ms", BenchCommand.round(s[0] / 1e6, 4));
            rec.put("reps", reps);
            rec.put("samples_per_s", BenchCommand.round(batch / (median * 1e-3), 1));
            rec.put("first_loss", BenchCommand.round(loss0, 5));
            rec.put("last_loss", BenchCommand.round(last, 5));
            rec.put("optimizer", OPTIMIZER);
            rec.put("compile_ms", BenchCommand.round(exe.compileNanos() / 1e6, 1));
            rec.put("compile_cached_modules", exe.compilePhases().cacheHits());   // > 0: machine code from the object cache, not a cold compile
            rec.put("compile_phases", exe.compilePhases().toString());
            rec.put("arena_bytes", exe.arenaBytes());
            rec.put("load1", BenchCommand.load1());
        } finally {
            owned.forEach(Tensor::close);
        }
    }

    /**
     * One step: the optimizer's scalars for step t (written into scalar input tensors made on
     * the first step and reused), then forward, backward and update natively; returns the loss.
     */
    private static double step(LlvmExecutable exe, Map<String, Tensor> feed, Optimizer sgd, long t, List<Tensor> owned) {
        for (var e : sgd.scalars(t, 0.01).entrySet()) {
            String name = "hp/" + e.getKey();
            if (!exe.inputs().containsKey(name)) continue;
            Tensor x = feed.get(name);
            if (x == null) feed.put(name, x = own(owned, Tensor.zeros(exe.inputs().get(name))));
            x.set(0, e.getValue());
        }
        return exe.runUpdating(feed, "new/").get("loss").get(0);
    }

    private static Tensor own(List<Tensor> owned, Tensor t) {
        owned.add(t);
        return t;
    }

    private static double initValue(Node p) {
        String init = p.attrs().getString("init", "zeros");
        if (init.startsWith("constant(") && init.endsWith(")")) return Double.parseDouble(init.substring(9, init.length() - 1));
        return 0;
    }
}
