package org.dlm.runtime.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir Path tmp;

    @Test void readsEveryNumpyDtype() throws IOException {
        record Case(String file, DType dtype, char kind) {}
        for (Case c : new Case[] {
                new Case("f2.npy", DType.F16, 'f'), new Case("f4.npy", DType.F32, 'f'), new Case("f8.npy", DType.F64, 'f'),
                new Case("i1.npy", DType.I8, 'i'), new Case("u1.npy", DType.U8, 'u'), new Case("i2.npy", DType.I32, 'i'),
                new Case("u2.npy", DType.I32, 'u'), new Case("i4.npy", DType.I32, 'i'), new Case("u4.npy", DType.I64, 'u'),
                new Case("i8.npy", DType.I64, 'i'), new Case("b1.npy", DType.BOOL, 'b'),
                new Case("be_f4.npy", DType.F32, 'f'), new Case("be_f8.npy", DType.F64, 'f'),
                new Case("be_i8.npy", DType.I64, 'i'), new Case("be_i2.npy", DType.I32, 'i')}) {
            NdArray a = Npy.readArray(Fixtures.file(c.file));
            assertEquals(Fixtures.values(c.dtype, c.kind, 2, 3), a, c.file);
        }
    }

    @Test void writesTheSameBytesAsNumpy() throws IOException {
        record Case(String file, DType dtype, char kind) {}
        for (Case c : new Case[] {
                new Case("f2.npy", DType.F16, 'f'), new Case("f4.npy", DType.F32, 'f'), new Case("f8.npy", DType.F64, 'f'),
                new Case("i1.npy", DType.I8, 'i'), new Case("u1.npy", DType.U8, 'u'), new Case("i4.npy", DType.I32, 'i'),
                new Case("i8.npy", DType.I64, 'i'), new Case("b1.npy", DType.BOOL, 'b')}) {
            Path out = tmp.resolve(c.file);
            Npy.write(out, Fixtures.values(c.dtype, c.kind, 2, 3));
            assertArrayEquals(Files.readAllBytes(Fixtures.file(c.file)), Files.readAllBytes(out), c.file);
        }
        Path s = tmp.resolve("s.npy");
        Npy.write(s, NdArray.scalar(DType.F64, 3.25));
        assertArrayEquals(Files.readAllBytes(Fixtures.file("scalar_f8.npy")), Files.readAllBytes(s));
        Path e = tmp.resolve("e.npy");
        Npy.write(e, NdArray.zeros(DType.F32, 0, 3));
        assertArrayEquals(Files.readAllBytes(Fixtures.file("empty_f4.npy")), Files.readAllBytes(e));
    }

    @Test void roundTripsEveryDtype() throws IOException {
        for (DType t : DType.values()) {
            NdArray a = Fixtures.values(t, t == DType.BOOL ? 'b' : t == DType.U8 ? 'u' : t.isFloating() ? 'f' : 'i', 3, 1, 4);
            Path p = tmp.resolve(t + ".npy");
            Npy.Options opt = t == DType.BF16 ? Npy.Options.BF16_AS_U2 : Npy.Options.DEFAULT;
            Npy.write(p, RawTensor.of(a), opt);
            assertEquals(a, Npy.read(p, opt).toNdArray(), t.text());
        }
    }

    @Test void nativeTensorsGoThroughWithOneCopy() throws IOException {
        for (DType t : DType.values()) {
            NdArray a = Fixtures.values(t, t == DType.BOOL ? 'b' : t == DType.U8 ? 'u' : t.isFloating() ? 'f' : 'i', 2, 3);
            try (org.dlm.runtime.Tensor native_ = RawTensor.of(a).toTensor()) {
                assertEquals(a, native_.toNdArray(), t.text());
                assertEquals(RawTensor.of(a), RawTensor.of(native_), t.text());
                Path p = tmp.resolve("n" + t + ".npy");
                Npy.write(p, RawTensor.of(native_), Npy.Options.BF16_AS_U2);
                assertEquals(a, Npy.read(p, Npy.Options.BF16_AS_U2).toNdArray());
            }
        }
    }

    @Test void bf16NeedsAnExplicitRequest() throws IOException {
        NdArray a = NdArray.of(DType.BF16, new long[] {3}, 1.0, -2.5, 3.140625);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Npy.write(tmp.resolve("b.npy"), a));
        assertTrue(e.getMessage().startsWith(tmp.resolve("b.npy") + ": NumPy has no bfloat16"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("b.npy")));
        // numpy-written uint16 bit patterns read as bf16 on request, as plain integers otherwise
        assertEquals(a, Npy.read(Fixtures.file("bf16_as_u2.npy"), Npy.Options.BF16_AS_U2).toNdArray());
        assertEquals(NdArray.of(DType.I32, new long[] {3}, 0x3f80, 0xc020, 0x4049), Npy.readArray(Fixtures.file("bf16_as_u2.npy")));
    }

    @Test void fortranOrderAndHeaderVersions() throws IOException {
        NdArray expected = Fixtures.values(DType.F32, 'f', 2, 3, 4);
        assertEquals(expected, Npy.readArray(Fixtures.file("fortran_f4.npy")));
        assertEquals(Fixtures.values(DType.F32, 'f', 2, 3), Npy.readArray(Fixtures.file("v2_f4.npy")));
        assertEquals(Fixtures.values(DType.F32, 'f', 2, 3), Npy.readArray(Fixtures.file("v3_f4.npy")));
        assertEquals(NdArray.scalar(DType.F64, 3.25), Npy.readArray(Fixtures.file("scalar_f8.npy")));
        assertArrayEquals(new long[] {0, 3}, Npy.read(Fixtures.file("empty_f4.npy")).shape());
    }

    @Test void hugeHeadersUseVersion2() throws IOException {
        long[] shape = new long[23000];
        Arrays.fill(shape, 1);
        Path p = tmp.resolve("big.npy");
        Npy.write(p, NdArray.zeros(DType.F32, shape));
        byte[] b = Files.readAllBytes(p);
        assertEquals(2, b[6]);
        assertEquals(0, (12 + (Byte.toUnsignedInt(b[8]) | Byte.toUnsignedInt(b[9]) << 8 | Byte.toUnsignedInt(b[10]) << 16)) % 64);
        assertArrayEquals(shape, Npy.read(p).shape());
    }

    @Test void unsupportedDtypesAreNamed() {
        var e = assertThrows(DataFormatException.class, () -> Npy.read(Fixtures.file("object.npy")));
        assertTrue(e.getMessage().contains("object.npy: unsupported dtype '|O': object arrays cannot be loaded"), e.getMessage());
        e = assertThrows(DataFormatException.class, () -> Npy.read(Fixtures.file("complex.npy")));
        assertTrue(e.getMessage().contains("complex.npy: unsupported dtype '<c8': complex numbers"), e.getMessage());
    }

    @Test void truncatedAndPaddedFilesAreCaughtBeforeAllocating() throws IOException {
        byte[] ok = Files.readAllBytes(Fixtures.file("f4.npy"));   // 128-byte header + 24 bytes of data
        Path p = tmp.resolve("x.npy");
        Files.write(p, Arrays.copyOf(ok, 140));
        var e = assertThrows(DataFormatException.class, () -> Npy.read(p));
        assertEquals(p + ": header says 6 elements of float32 (24 bytes) but the file holds 12 bytes of data (truncated?)", e.getMessage());
        Files.write(p, Arrays.copyOf(ok, 160));
        e = assertThrows(DataFormatException.class, () -> Npy.read(p));
        assertEquals(p + ": header says 6 elements of float32 (24 bytes) but the file holds 32 bytes of data", e.getMessage());
        // a header claiming 10^12 elements in a 152-byte file is refused without allocating
        String h = new String(ok, 10, 118, java.nio.charset.StandardCharsets.ISO_8859_1).replace("(2, 3)", "(1000000, 1000000)");
        byte[] big = ok.clone();
        System.arraycopy(h.substring(0, 118).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), 0, big, 10, 118);
        Files.write(p, big);
        e = assertThrows(DataFormatException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().startsWith(p + ": header says 1000000000000 elements"), e.getMessage());
        Files.write(p, new byte[] {1, 2, 3});
        e = assertThrows(DataFormatException.class, () -> Npy.read(p));
        assertEquals(p + ": not a .npy file (it does not start with \\x93NUMPY)", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> Npy.read(tmp.resolve("absent.npy")));
        assertEquals(tmp.resolve("absent.npy") + ": no such file", e.getMessage());
    }
}
