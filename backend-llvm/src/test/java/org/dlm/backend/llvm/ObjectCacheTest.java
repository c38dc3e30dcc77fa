package org.dlm.backend.llvm;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.Tensor;
import org.dlm.runtime.testkit.BackendDiff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The on-disk object cache: a hit skips LLVM and computes the same; damaged entries are ignored and rewritten. */
class ObjectCacheTest {
    @TempDir Path dir;
    private LlvmExecutable.CompilePhases last;

    /** relu(x · W + b) followed by a softmax-free elementwise tail: GEMM calls and loops in several statements. */
    static Graph model() {
        Node x = BackendDiff.input("x", DType.F32, 4, 24);
        Node w = BackendDiff.param("w", 24, 16), bias = BackendDiff.param("b", 16);
        Node h = Node.of("relu", List.of(Node.of("add", List.of(Node.of("matmul", List.of(x, w), org.dlm.ir.Attrs.EMPTY), bias), org.dlm.ir.Attrs.EMPTY)), org.dlm.ir.Attrs.EMPTY);
        Node y = Node.of("tanh", List.of(Node.of("mul", List.of(h, h), org.dlm.ir.Attrs.EMPTY)), org.dlm.ir.Attrs.EMPTY);
        return new Graph("cached", List.of(x), List.of(w, bias), List.of(new Graph.Output("y", y), new Graph.Output("h", h)));
    }

    private static float[] run(LlvmExecutable exe, NdArray input) {
        try (Tensor x = Tensor.of(input)) {
            Map<String, Tensor> out = exe.run(Map.of("x", x));
            try {
                double[] y = out.get("y").toNdArray().data(), h = out.get("h").toNdArray().data();
                float[] all = new float[y.length + h.length];
                for (int i = 0; i < y.length; i++) all[i] = (float) y[i];
                for (int i = 0; i < h.length; i++) all[y.length + i] = (float) h[i];
                return all;
            } finally {
                out.values().forEach(Tensor::close);
            }
        }
    }

    private float[] compileAndRun(Graph g, Map<String, NdArray> ps, NdArray input, int expectHits) {
        String before = System.getProperty("dlm.cache.dir");
        System.setProperty("dlm.cache.dir", dir.toString());
        try (LlvmExecutable exe = LlvmBackend.compile(g, ps, LlvmBackend.Options.dims(Map.of()))) {
            last = exe.compilePhases();
            assertEquals(expectHits, last.cacheHits(), last.toString());
            return run(exe, input);
        } finally {
            if (before == null) System.clearProperty("dlm.cache.dir");
            else System.setProperty("dlm.cache.dir", before);
        }
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".o")).toList();
        }
    }

    @Test
    void hitComputesTheSameAndDamagedEntriesAreRebuilt() throws IOException {
        Graph g = model();
        Random r = new Random(7);
        Map<String, NdArray> ps = Map.of("w", BackendDiff.random(r, DType.F32, new long[] {24, 16}, -1, 1),
                "b", BackendDiff.random(r, DType.F32, new long[] {16}, -1, 1));
        NdArray x = BackendDiff.random(r, DType.F32, new long[] {4, 24}, -1, 1);
        float[] cold = compileAndRun(g, ps, x, 0);
        int modules = last.modules();
        List<Path> stored = entries();
        assertFalse(stored.isEmpty(), "entries written to " + dir);
        float[] warm = compileAndRun(g, ps, x, modules);
        assertArrayEquals(cold, warm, "cached machine code computes the same");

        // damage every entry in a different way: truncated, a flipped byte, garbage
        int i = 0;
        for (Path p : stored) {
            byte[] bytes = Files.readAllBytes(p);
            switch (i++ % 3) {
                case 0 -> Files.write(p, java.util.Arrays.copyOf(bytes, bytes.length / 2));
                case 1 -> { bytes[bytes.length - 7] ^= 0x5a; Files.write(p, bytes); }
                default -> Files.writeString(p, "not an object");
            }
        }
        float[] rebuilt = compileAndRun(g, ps, x, 0);
        assertArrayEquals(cold, rebuilt, "damaged entries are ignored");
        float[] again = compileAndRun(g, ps, x, modules);
        assertArrayEquals(cold, again, "rewritten entries are used again");
    }

    @Test
    void entriesRoundTripAndKeysSeparateModulesAndPipelines() throws IOException {
        ObjectCache cache = new ObjectCache(dir);
        try (HostTarget host = HostTarget.detect()) {
            String a = cache.key("define void @f() { ret void }", host, "default<O3>");
            assertEquals(a, cache.key("define void @f() { ret void }", host, "default<O3>"));
            assertNotEquals(a, cache.key("define void @g() { ret void }", host, "default<O3>"));
            assertNotEquals(a, cache.key("define void @f() { ret void }", host, "default<O1>"));
            assertNull(cache.get(a));
            byte[] object = {0x7f, 'E', 'L', 'F', 1, 2, 3};
            cache.put(a, object);
            assertArrayEquals(object, cache.get(a));
            Path entry = entries().get(0);
            Files.write(entry, new byte[0]);
            assertNull(cache.get(a), "an empty entry is a miss");
            cache.put(a, object);
            assertArrayEquals(object, cache.get(a));
            try (Stream<Path> s = Files.walk(dir)) {
                assertEquals(0, s.filter(p -> p.toString().endsWith(".tmp")).count(), "no temporary files left");
            }
        }
    }

    @Test
    void aFullCacheEvictsTheLeastRecentlyUsedEntriesAndStaleTemporaryFiles() throws IOException {
        byte[] object = new byte[1000];
        ObjectCache cache = new ObjectCache(dir, 10 * (1000 + 48));   // room for ten entries
        List<String> keys = new java.util.ArrayList<>();
        java.time.Instant t0 = java.time.Instant.now().minusSeconds(3600);
        for (int i = 0; i < 10; i++) {
            String k = String.format("%02x", i) + "0".repeat(62);
            keys.add(k);
            cache.put(k, object);
            Path f = entries().stream().filter(p -> p.getFileName().toString().startsWith(k)).findFirst().orElseThrow();
            Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(t0.plusSeconds(i)));   // stored in key order
        }
        assertEquals(10, entries().size(), "ten entries fit");
        assertNotNull(cache.get(keys.get(0)), "reading the oldest entry makes it the most recently used");
        Path stale = dir.resolve("00").resolve("left-by-a-killed-writer.tmp");
        Files.write(stale, new byte[10]);
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.from(t0));
        cache.put("ff" + "0".repeat(62), object);   // the eleventh: over the limit
        int left = entries().size();
        assertTrue(left <= 8 && left >= 6, "trimmed to 3/4 of the limit, kept " + left);
        assertNotNull(cache.get(keys.get(0)), "a recently read entry is kept");
        assertNotNull(cache.get("ff" + "0".repeat(62)), "the new entry is kept");
        assertNull(cache.get(keys.get(1)), "the least recently used entry is gone");
        assertFalse(Files.exists(stale), "stale temporary files are removed");
        assertThrows(IllegalArgumentException.class, () -> new ObjectCache(dir, 0));
    }
}
