package org.dlm.runtime.io;

import org.dlm.runtime.data.Dataset;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated files (flipped bytes, truncation, insertions, overwritten lengths) must either load or
 * fail with a {@link DataFormatException} naming the file: never another exception.
 */
class FuzzTest {
    @TempDir Path tmp;

    @FunctionalInterface
    interface Reader { Object read(Path p) throws Exception; }

    record Target(String fixture, Reader reader) {}

    static final List<Target> TARGETS = List.of(
        new Target("f4.npy", Npy::read),
        new Target("fortran_f4.npy", Npy::read),
        new Target("v3_f4.npy", Npy::read),
        new Target("stored.npz", Npz::read),
        new Target("deflated.npz", Npz::read),
        new Target("mixed.safetensors", Safetensors::read),
        new Target("images-idx3-ubyte", Idx::read),
        new Target("images-idx3-ubyte.gz", Idx::read),
        new Target("iris-mini.csv", p -> CsvDataset.read(p, "species")));

    @Test void mutatedFilesGiveOnlyCleanErrors() throws Exception {
        Random rnd = new Random(42);
        int clean = 0, loaded = 0;
        for (Target t : TARGETS) {
            byte[] ok = Files.readAllBytes(Fixtures.file(t.fixture));
            Path p = tmp.resolve("m-" + t.fixture);
            for (int i = 0; i < 120; i++) {
                byte[] m = mutate(ok, rnd);
                Files.write(p, m);
                try {
                    t.reader.read(p);
                    loaded++;
                } catch (DataFormatException e) {
                    assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
                    assertFalse(e.getMessage().isBlank());
                    clean++;
                } catch (Throwable e) {
                    fail(t.fixture + " mutation " + i + " (" + m.length + " bytes) threw " + e, e);
                }
            }
        }
        assertTrue(clean > 500, "most mutations must be rejected, got " + clean + " errors and " + loaded + " loads");
    }

    static byte[] mutate(byte[] ok, Random rnd) {
        byte[] m = ok.clone();
        switch (rnd.nextInt(6)) {
            case 0 -> { for (int k = 1 + rnd.nextInt(4); k > 0; k--) m[rnd.nextInt(m.length)] ^= (byte) (1 << rnd.nextInt(8)); }
            case 1 -> m = Arrays.copyOf(m, rnd.nextInt(m.length));
            case 2 -> {
                int at = rnd.nextInt(m.length), n = 1 + rnd.nextInt(16);
                byte[] r = new byte[m.length + n];
                System.arraycopy(m, 0, r, 0, at);
                for (int k = 0; k < n; k++) r[at + k] = (byte) rnd.nextInt(256);
                System.arraycopy(m, at, r, at + n, m.length - at);
                m = r;
            }
            case 3 -> { int at = rnd.nextInt(Math.min(m.length, 16)); m[at] = (byte) 0xff; }  // lengths and magic live up front
            case 4 -> { for (int k = rnd.nextInt(m.length), e = Math.min(m.length, k + 8); k < e; k++) m[k] = (byte) rnd.nextInt(256); }
            default -> { int at = rnd.nextInt(m.length); m[at] = (byte) "0123456789,:[]{}()'\"".charAt(rnd.nextInt(20)); }
        }
        return m;
    }
}
