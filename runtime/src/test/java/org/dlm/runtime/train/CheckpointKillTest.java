package org.dlm.runtime.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.dlm.ir.Attrs;
import org.dlm.ir.DType;
import org.dlm.ir.Graph;
import org.dlm.ir.Node;
import org.dlm.ir.Shape;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 while checkpointing: a child JVM saves checkpoints in a loop (each one's parameter is
 * filled with its step number) and is killed with {@code destroyForcibly} at random moments; the
 * latest checkpoint, and its {@code .prev}, must always load and be one complete checkpoint.
 */
class CheckpointKillTest {
    static Graph model() {
        Node w = Node.of("param", List.of(), Attrs.of("name", "w", "dtype", DType.F32, "shape", Shape.of(256, 1024)));
        return new Graph("killed", List.of(), List.of(w), List.of(new Graph.Output("y", Node.of("relu", w))));
    }

    /** Child: saves checkpoints of steps start, start+1, ... forever, printing each step after its save. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Graph g = model();
        for (long k = Long.parseLong(args[1]); ; k++) {
            NdArray w = NdArray.full(DType.F32, k, 256, 1024);
            Checkpoint.save(file, g, new Checkpoint(Map.of("w", w), Map.of(), k, (int) k, "none", Map.of()));
            System.out.println(k);
            System.out.flush();
        }
    }

    @Test void theLatestCheckpointAlwaysLoadsAfterKill9(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("checkpoint.safetensors");
        Graph g = model();
        Random rnd = new Random(42);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long next = 0, lastSeen = -1;
        for (int round = 0; round < 6; round++) {
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CheckpointKillTest.class.getName(), file.toString(), Long.toString(next))
                    .redirectErrorStream(true).start();
            long printed = -1;
            try {
                BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                String line = r.readLine();   // the first save of this child is complete
                assertTrue(line != null && line.matches("\\d+"), "child failed: " + line);
                printed = Long.parseLong(line);
                Thread.sleep(rnd.nextInt(400));
            } finally {
                p.destroyForcibly();
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
            }
            Checkpoint c = Checkpoint.load(file, g);   // throws on a torn or corrupt file
            assertTrue(c.step() >= printed && c.step() >= lastSeen, "went back: step " + c.step() + " after " + Math.max(printed, lastSeen));
            assertComplete(c);
            Path prev = file.resolveSibling(file.getFileName() + ".prev");
            if (Files.exists(prev)) {
                Checkpoint before = Checkpoint.load(prev, g);
                assertComplete(before);
                // equal when killed between linking .prev to the file and renaming the new one over it
                assertTrue(before.step() <= c.step(), ".prev is not newer: " + before.step() + " vs " + c.step());
            }
            lastSeen = c.step();
            next = c.step() + 1;
        }
        assertTrue(lastSeen >= 6, "every round saved at least once: " + lastSeen);
    }

    /** Every element of the parameter is the checkpoint's step: no mix of two saves. */
    private static void assertComplete(Checkpoint c) {
        NdArray w = c.params().get("w");
        assertEquals(0.0, w.maxAbsDiff(NdArray.full(DType.F32, c.step(), 256, 1024)), "checkpoint of step " + c.step() + " is mixed");
        assertEquals(c.step(), c.epoch());
    }
}
