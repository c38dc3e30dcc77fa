package org.dlm.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.AttributeProto;
import org.dlm.onnx.proto.OnnxProto.GraphProto;
import org.dlm.onnx.proto.OnnxProto.ModelProto;
import org.dlm.onnx.proto.OnnxProto.NodeProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;
import org.dlm.onnx.proto.OnnxProto.TensorShapeProto;
import org.dlm.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded fuzzing of the importer and runner with truncated, byte-flipped and structurally mutated
 * ONNX models: every case must end in success or an {@link OnnxException} (exit 1 or 3 with a
 * message), never another exception, a crash or a hang.
 */
class OnnxFuzzTest {
    static final int CASES = 3000, COMMAND_CASES = 150;
    static final long TIMEOUT_SECONDS = 20;

    static final List<String> SEEDS = List.of(
            "test_conv_with_strides_padding", "test_gemm_all_attributes", "test_reshape_negative_dim", "test_slice_neg_steps",
            "test_softmax_axis_1", "test_batchnorm_example", "test_averagepool_2d_strides", "test_concat_3d_axis_0",
            "test_gather_1", "test_layer_normalization_4d_axis1", "test_convtranspose_1d", "test_expand_dim_changed",
            "test_constant_pad", "test_onehot_with_axis", "test_gather_elements_0", "test_split_equal_parts_2d",
            "test_cumsum_2d_axis_0", "test_reduce_mean_keepdims_example", "test_sce_mean_weight_ii", "test_maxpool_2d_strides",
            "test_transpose_all_permutations_3", "test_clip_default_inbounds", "test_where_example", "test_tile",
            "test_resize_upsample_scales_cubic", "test_lstm_with_peepholes", "test_gru_batchwise", "test_einsum_batch_diagonal",
            "test_top_k", "test_scatternd_add", "test_gathernd_example_int32_batch_dim1", "test_quantizelinear", "test_hannwindow");

    static final List<String> OP_TYPES = List.of("Relu", "Conv", "Gemm", "MatMul", "Reshape", "Slice", "Softmax", "Pad", "Concat",
            "Gather", "Expand", "Tile", "ConstantOfShape", "Range", "Split", "Squeeze", "Unsqueeze", "MaxPool", "ReduceSum",
            "OneHot", "CumSum", "Transpose", "Cast", "LSTM", "Resize", "Flatten", "Add", "Where", "TopK");

    record Seed(String name, byte[] bytes, List<NdArray> inputs) {}

    @TempDir Path tmp;

    private static List<Seed> seeds() throws Exception {
        Path root = Path.of(OnnxFuzzTest.class.getResource("/onnx-node/tests.txt").toURI()).getParent();
        List<Seed> r = new ArrayList<>();
        for (String s : SEEDS) {
            Path dir = root.resolve(s);
            ModelProto m = OnnxImporter.load(dir.resolve("model.onnx"));
            List<NdArray> in = new ArrayList<>();
            for (int i = 0; i < OnnxRunner.inputNames(m).size(); i++)
                in.add(OnnxNodeConformanceTest.readPb(dir.resolve("test_data_set_0/input_" + i + ".pb")));
            r.add(new Seed(s, Files.readAllBytes(dir.resolve("model.onnx")), in));
        }
        return r;
    }

    /** One mutated model: a third truncated, a third with flipped bytes, a third mutated field by field. */
    static byte[] mutate(byte[] b, Random rnd) {
        switch (rnd.nextInt(3)) {
            case 0 -> { return java.util.Arrays.copyOf(b, rnd.nextInt(b.length)); }
            case 1 -> {
                byte[] c = b.clone();
                for (int k = 1 + rnd.nextInt(8); k > 0; k--) c[rnd.nextInt(c.length)] = (byte) rnd.nextInt(256);
                return c;
            }
            default -> {
                try {
                    return structural(ModelProto.parseFrom(b), rnd).toByteArray();
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }
        }
    }

    private static long wild(Random rnd) {
        long[] v = {-1, 0, 1, 2, 3, -2, 7, 1L << 31, Long.MAX_VALUE, Long.MIN_VALUE, 1_000_000_000L};
        return rnd.nextBoolean() ? v[rnd.nextInt(v.length)] : rnd.nextInt(9) - 4;
    }

    private static ModelProto structural(ModelProto m, Random rnd) {
        ModelProto.Builder mb = m.toBuilder();
        GraphProto.Builder g = mb.getGraphBuilder();
        for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
            int what = rnd.nextInt(9);
            if (what <= 3 && g.getNodeCount() > 0) {
                NodeProto.Builder n = g.getNodeBuilder(rnd.nextInt(g.getNodeCount()));
                switch (what) {
                    case 0 -> {
                        if (n.getAttributeCount() == 0) { n.addAttribute(AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(wild(rnd))); break; }
                        AttributeProto.Builder a = n.getAttributeBuilder(rnd.nextInt(n.getAttributeCount()));
                        if (a.getIntsCount() > 0) a.setInts(rnd.nextInt(a.getIntsCount()), wild(rnd));
                        else if (a.hasF()) a.setF(new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1, 0, 1e30f}[rnd.nextInt(5)]);
                        else if (a.hasT()) a.getTBuilder().setDataType(rnd.nextInt(25));
                        else a.setI(wild(rnd));
                    }
                    case 1 -> n.setOpType(OP_TYPES.get(rnd.nextInt(OP_TYPES.size())));
                    case 2 -> {
                        if (n.getInputCount() > 0 && rnd.nextBoolean()) {
                            List<String> in = new ArrayList<>(n.getInputList());
                            in.remove(rnd.nextInt(in.size()));
                            n.clearInput().addAllInput(in);
                        } else {
                            n.addInput(rnd.nextBoolean() ? "" : "bogus");
                        }
                    }
                    default -> n.addOutput("extra" + rnd.nextInt(3));
                }
            } else if (what == 4 && g.getInitializerCount() > 0) {
                TensorProto.Builder t = g.getInitializerBuilder(rnd.nextInt(g.getInitializerCount()));
                if (t.getDimsCount() > 0 && rnd.nextBoolean()) t.setDims(rnd.nextInt(t.getDimsCount()), wild(rnd));
                else t.setDataType(rnd.nextInt(25));
            } else if (what == 5 && g.getInputCount() > 0) {
                var in = g.getInputBuilder(rnd.nextInt(g.getInputCount()));
                TensorShapeProto.Builder s = in.getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                if (s.getDimCount() > 0) s.getDimBuilder(rnd.nextInt(s.getDimCount())).setDimValue(wild(rnd));
                else in.getTypeBuilder().getTensorTypeBuilder().setElemType(rnd.nextInt(25));
            } else if (what == 6 && g.getNodeCount() > 1) {
                int i = rnd.nextInt(g.getNodeCount()), j = rnd.nextInt(g.getNodeCount());
                NodeProto a = g.getNode(i), b = g.getNode(j);
                g.setNode(i, b).setNode(j, a);
            } else if (what == 7) {
                mb.getOpsetImportBuilder(0).setVersion(rnd.nextInt(26));
            } else if (g.getOutputCount() > 0) {
                g.getOutputBuilder(0).setName(rnd.nextBoolean() ? "nowhere" : "");
            }
        }
        return mb.build();
    }

    @Test
    void mutatedModelsNeverCrashOrHang() throws Exception {
        List<Seed> seeds = seeds();
        ExecutorService pool = pool();
        int ok = 0, rejected = 0;
        List<String> failures = new ArrayList<>();
        for (int c = 0; c < CASES; c++) {
            Random rnd = new Random(20261125L * 31 + c);
            Seed s = seeds.get(rnd.nextInt(seeds.size()));
            byte[] bytes = mutate(s.bytes(), rnd);
            Future<String> f = pool.submit(() -> {
                try {
                    ModelProto m = OnnxImporter.parse(bytes);
                    Map<String, NdArray> in = new LinkedHashMap<>();
                    List<String> names = OnnxRunner.inputNames(m);
                    for (int i = 0; i < Math.min(names.size(), s.inputs().size()); i++) in.put(names.get(i), s.inputs().get(i));
                    OnnxRunner.run(m, null, in);
                    return "ok";
                } catch (OnnxException e) {
                    assertTrue(!e.issues().isEmpty() && e.issues().stream().allMatch(i -> !i.detail().isBlank()), "empty message");
                    return "rejected";
                } catch (Throwable t) {
                    java.io.StringWriter w = new java.io.StringWriter();
                    t.printStackTrace(new java.io.PrintWriter(w));
                    return "CRASH " + w.toString().lines().limit(6).reduce((a, b) -> a + " | " + b).orElse("");
                }
            });
            String r;
            try {
                r = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                f.cancel(true);
                pool.shutdownNow();
                pool = pool();
                r = "HANG";
            }
            if (r.equals("ok")) ok++;
            else if (r.equals("rejected")) rejected++;
            else failures.add("case " + c + " (" + s.name() + "): " + r);
        }
        pool.shutdownNow();
        System.out.printf("ONNX fuzz: %d cases, %d ran, %d rejected with a message, %d failures%n", CASES, ok, rejected, failures.size());
        assertEquals(List.of(), failures.stream().limit(20).toList());
        assertTrue(rejected > CASES / 2, "most mutations should be rejected, only " + rejected + " were");
    }

    @Test
    void theCommandExitsOneOrThreeWithMessages() throws Exception {
        List<Seed> seeds = seeds();
        Path model = tmp.resolve("m.onnx"), in = Files.createDirectories(tmp.resolve("in")), out = tmp.resolve("out");
        int[] codes = new int[4];
        for (int c = 0; c < COMMAND_CASES; c++) {
            Random rnd = new Random(77L * 1000 + c);
            Seed s = seeds.get(rnd.nextInt(seeds.size()));
            try (var files = Files.list(in)) {
                for (Path p : files.toList()) Files.delete(p);
            }
            for (int i = 0; i < s.inputs().size(); i++) Npy.write(in.resolve("input_" + i + ".npy"), s.inputs().get(i));
            Files.write(model, mutate(s.bytes(), rnd));
            ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
            int code = OnnxRunCommand.run(new String[] {model.toString(), "--input-dir", in.toString(), "--output-dir", out.toString(), "--timeout", "20"},
                    new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
            String err = e.toString(StandardCharsets.UTF_8);
            String label = "case " + c + " (" + s.name() + ") exit " + code + ": " + err;
            assertTrue(code == 0 || code == 1 || code == 3, label);
            assertTrue(!err.contains("\tat ") && !err.contains("internal error") && !err.contains("Exception"), label);
            if (code == 1) assertTrue(err.startsWith("error: ") && err.strip().length() > 8, label);
            if (code == 3) assertTrue(err.lines().allMatch(l -> l.startsWith("UNSUPPORTED: ")), label);
            codes[code]++;
        }
        System.out.printf("ONNX fuzz via onnx-run: exit 0: %d, exit 1: %d, exit 3: %d%n", codes[0], codes[1], codes[3]);
        assertTrue(codes[1] > 0 && codes[3] > 0, "mutations should produce both errors and unsupported content");
    }

    private static ExecutorService pool() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(null, r, "onnx-fuzz", 256L << 20);
            t.setDaemon(true);
            return t;
        });
    }
}
