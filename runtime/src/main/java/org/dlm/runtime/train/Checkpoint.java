package org.dlm.runtime.train;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.ir.text.IrPrinter;
import org.dlm.runtime.io.DataFormatException;
import org.dlm.runtime.io.ParamStore;
import org.dlm.runtime.io.RawTensor;
import org.dlm.runtime.io.Safetensors;

/**
 * A training checkpoint in one safetensors file: every model parameter under its own name,
 * optimizer state under {@code opt/<slot>/<param>}, and metadata: {@code format}
 * ({@value #FORMAT}), {@code model}, {@code graph_hash} (SHA-256 of the model's textual IR),
 * {@code step}, {@code epoch}, {@code optimizer}, plus any extra entries.
 *
 * <p>Saving is atomic (temp file, fsync, rename) and keeps the previous checkpoint as
 * {@code <file>.prev}. Loading refuses, with every problem listed, a corrupt file, a checkpoint
 * of another model or of a changed graph, and missing, extra or mis-shaped tensors.
 *
 * <pre>{@code
 * Checkpoint.save(Path.of("ckpt.safetensors"), model, new Checkpoint(params, state, step, epoch, "adam", Map.of()));
 * Checkpoint c = Checkpoint.load(Path.of("ckpt.safetensors"), model);
 * }</pre>
 *
 * @param params         model parameters (all of them, buffers included)
 * @param optimizerState {@code opt/<slot>/<param>} tensors
 * @param step           optimizer steps taken
 * @param epoch          epochs completed
 * @param optimizer      the optimizer's name ("adam")
 * @param extra          more metadata to keep (schedule, seed, ...)
 */
public record Checkpoint(Map<String, NdArray> params, Map<String, NdArray> optimizerState, long step, int epoch,
                         String optimizer, Map<String, String> extra) {
    public static final String FORMAT = "dlm-checkpoint-1";
    private static final String STATE = "opt/";
    private static final List<String> RESERVED = List.of("format", "model", "graph_hash", "step", "epoch", "optimizer");

    public Checkpoint {
        params = Map.copyOf(params);
        optimizerState = Map.copyOf(optimizerState);
        extra = Map.copyOf(extra);
        for (String k : optimizerState.keySet())
            if (!k.startsWith(STATE)) throw new IllegalArgumentException("optimizer state '" + k + "' must be named opt/<slot>/<param>");
        for (String k : extra.keySet())
            if (RESERVED.contains(k)) throw new IllegalArgumentException("checkpoint metadata '" + k + "' is reserved");
    }

    /** SHA-256 (hex) of the model's textual IR: changes whenever its structure, types or attributes do. */
    public static String graphHash(Graph model) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(IrPrinter.print(model).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** Writes {@code c} for {@code model} atomically; an existing file becomes {@code <file>.prev}. */
    public static void save(Path file, Graph model, Checkpoint c) throws IOException {
        Map<String, RawTensor> ts = new LinkedHashMap<>();
        for (var e : c.params().entrySet()) ts.put(e.getKey(), RawTensor.of(e.getValue()));
        ParamStore.match(model, file.toString(), ts);   // refuse to write a checkpoint that could not be loaded
        Map<String, RawTensor> ordered = new LinkedHashMap<>();
        for (Node p : model.params()) ordered.put(name(p), ts.get(name(p)));
        List<String> problems = new ArrayList<>();
        c.optimizerState().keySet().stream().sorted().forEach(k -> {
            String why = checkState(model, k, c.optimizerState().get(k));
            if (why != null) problems.add(why);
            else ordered.put(k, RawTensor.of(c.optimizerState().get(k)));
        });
        if (!problems.isEmpty()) throw new DataFormatException(file.toString(), String.join("\n" + file + ": ", problems));
        Map<String, String> meta = new LinkedHashMap<>(c.extra());
        meta.put("format", FORMAT);
        meta.put("model", model.name());
        meta.put("graph_hash", graphHash(model));
        meta.put("step", Long.toString(c.step()));
        meta.put("epoch", Integer.toString(c.epoch()));
        meta.put("optimizer", c.optimizer());
        keepPrevious(file);
        Safetensors.write(file, ordered, meta);
    }

    /**
     * Reads a checkpoint of {@code model}.
     *
     * @throws DataFormatException when the file is corrupt, not a DLM checkpoint, of another model
     *     or graph, or its tensors do not match the model (all problems in one message)
     */
    public static Checkpoint load(Path file, Graph model) throws IOException {
        String where = file.toString();
        Safetensors.Contents s = Safetensors.read(file);
        Map<String, String> meta = s.metadata();
        if (!FORMAT.equals(meta.get("format")))
            throw new DataFormatException(where, "not a DLM checkpoint (metadata format is " + describe(meta.get("format")) + ", expected " + FORMAT + ")");
        if (!model.name().equals(meta.get("model")))
            throw new DataFormatException(where, "checkpoint is for model '" + meta.get("model") + "', not '" + model.name() + "'");
        String hash = graphHash(model);
        if (!hash.equals(meta.get("graph_hash")))
            throw new DataFormatException(where, "checkpoint was written for a different version of model '" + model.name()
                    + "' (graph hash " + abbrev(meta.get("graph_hash")) + ", the model now has " + abbrev(hash)
                    + "); to reuse only matching weights, load them as parameters instead");
        Map<String, NdArray> params = new LinkedHashMap<>();
        Map<String, NdArray> state = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Node p : model.params()) {
            RawTensor t = s.tensors().get(name(p));
            if (t == null) problems.add("parameter '" + name(p) + "' (" + p.type() + ") is missing");
            else if (!fits(p, t.dtype(), t.shape()))
                problems.add("tensor '" + name(p) + "' is " + t.dtype() + Arrays.toString(t.shape()) + " but the model expects " + p.type());
            else params.put(name(p), t.toNdArray());
        }
        for (var e : s.tensors().entrySet()) {
            if (!e.getKey().startsWith(STATE)) {
                if (model.param(e.getKey()) == null) problems.add("tensor '" + e.getKey() + "' is not a parameter of model '" + model.name() + "'");
                continue;
            }
            NdArray v = e.getValue().toNdArray();
            String why = checkState(model, e.getKey(), v);
            if (why != null) problems.add(why);
            else state.put(e.getKey(), v);
        }
        if (!problems.isEmpty()) throw new DataFormatException(where, String.join("\n" + where + ": ", problems));
        long step;
        int epoch;
        try {
            step = Long.parseLong(meta.getOrDefault("step", ""));
            epoch = Integer.parseInt(meta.getOrDefault("epoch", ""));
        } catch (NumberFormatException ex) {
            throw new DataFormatException(where, "checkpoint metadata step/epoch is not a number: " + meta.get("step") + ", " + meta.get("epoch"));
        }
        Map<String, String> extra = new LinkedHashMap<>(meta);
        RESERVED.forEach(extra::remove);
        return new Checkpoint(params, state, step, epoch, meta.getOrDefault("optimizer", ""), extra);
    }

    /** Null when {@code opt/<slot>/<param>} names a trainable param and has its type; else the problem. */
    private static String checkState(Graph model, String key, NdArray v) {
        int slash = key.indexOf('/', STATE.length());
        Node p = slash < 0 ? null : model.param(key.substring(slash + 1));
        if (p == null) return "optimizer state '" + key + "' belongs to no parameter of model '" + model.name() + "'";
        if (!fits(p, v.dtype(), v.shape()))
            return "optimizer state '" + key + "' is " + v.dtype() + Arrays.toString(v.shape()) + " but parameter '" + name(p) + "' is " + p.type();
        return null;
    }

    private static boolean fits(Node p, org.dlm.ir.DType dtype, long[] shape) {
        return p.dtype() == dtype && p.shape().isStatic() && Arrays.equals(p.shape().sizes(), shape);
    }

    private static void keepPrevious(Path file) throws IOException {
        if (!Files.exists(file)) return;
        Path prev = file.resolveSibling(file.getFileName() + ".prev");
        Files.deleteIfExists(prev);
        try {
            Files.createLink(prev, file);           // the old inode survives the atomic rename
        } catch (IOException | UnsupportedOperationException e) {
            Files.copy(file, prev);
        }
    }

    private static String name(Node p) { return p.attrs().getString("name"); }
    private static String describe(String v) { return v == null ? "missing" : "'" + v + "'"; }
    private static String abbrev(String h) { return h == null ? "missing" : h.substring(0, Math.min(12, h.length())); }
}
