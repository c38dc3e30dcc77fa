package org.dlm.runtime.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npz, safetensors and IDX. */
class ContainerFormatsTest {
    @TempDir Path tmp;

    static Map<String, NdArray> everyDtype() {
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (DType t : DType.values())
            m.put("t." + t.text(), Fixtures.values(t, t == DType.BOOL ? 'b' : t == DType.U8 ? 'u' : t.isFloating() ? 'f' : 'i', 2, 5));
        m.put("scalar", NdArray.scalar(DType.F32, -0.5));
        m.put("empty", NdArray.zeros(DType.I64, 0, 4));
        return m;
    }

    @Test void readsNumpyNpzStoredAndDeflated() throws IOException {
        for (String f : List.of("stored.npz", "deflated.npz")) {
            Map<String, NdArray> m = Npz.readArrays(Fixtures.file(f));
            assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
            assertEquals(Fixtures.values(DType.F32, 'f', 2, 3), m.get("a"));
            assertEquals(Fixtures.values(DType.I64, 'i', 4), m.get("b"));
            assertEquals(Fixtures.values(DType.U8, 'u', 5), m.get("c"));
        }
    }

    @Test void npzRoundTripsEveryDtype() throws IOException {
        Map<String, RawTensor> in = new LinkedHashMap<>();
        everyDtype().forEach((k, v) -> in.put(k, RawTensor.of(v)));
        for (boolean compressed : new boolean[] {false, true}) {
            Path p = tmp.resolve("w" + compressed + ".npz");
            Npz.write(p, in, compressed, Npy.Options.BF16_AS_U2);
            assertEquals(in, Npz.read(p, Npy.Options.BF16_AS_U2));
        }
    }

    @Test void safetensorsReadsTheReferenceLayout() throws IOException {
        Safetensors.Contents c = Safetensors.read(Fixtures.file("mixed.safetensors"));
        assertEquals(Map.of("model", "Test", "format", "pt"), c.metadata());
        assertEquals(List.of("w.f32", "w.f16", "w.bf16", "w.i64", "w.u8", "w.bool", "w.i16"), List.copyOf(c.tensors().keySet()));
        assertEquals(Fixtures.values(DType.F32, 'f', 2, 3), c.tensors().get("w.f32").toNdArray());
        assertEquals(Fixtures.values(DType.F16, 'f', 4), c.tensors().get("w.f16").toNdArray());
        assertEquals(NdArray.of(DType.BF16, new long[] {2, 2}, 1.0, -2.5, 3.140625, 0), c.tensors().get("w.bf16").toNdArray());
        assertEquals(Fixtures.values(DType.I64, 'i', 3), c.tensors().get("w.i64").toNdArray());
        assertEquals(Fixtures.values(DType.U8, 'u', 3), c.tensors().get("w.u8").toNdArray());
        assertEquals(Fixtures.values(DType.BOOL, 'b', 4), c.tensors().get("w.bool").toNdArray());
        assertEquals(Fixtures.values(DType.I32, 'i', 2), c.tensors().get("w.i16").toNdArray());
    }

    @Test void safetensorsRoundTripsEveryDtypeWithMetadata() throws IOException {
        Path p = tmp.resolve("ckpt.safetensors");
        Safetensors.writeArrays(p, everyDtype(), Map.of("model", "LeNet", "note", "quote \" and \\ and \n"));
        Safetensors.Contents c = Safetensors.read(p);
        assertEquals(Map.of("model", "LeNet", "note", "quote \" and \\ and \n"), c.metadata());
        Map<String, NdArray> back = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> back.put(k, v.toNdArray()));
        assertEquals(everyDtype(), back);
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8);
    }

    @Test void safetensorsLayoutErrorsNameTheTensor() throws IOException {
        byte[] ok = Files.readAllBytes(Fixtures.file("mixed.safetensors"));
        String text = new String(ok, java.nio.charset.StandardCharsets.ISO_8859_1);
        Path p = tmp.resolve("bad.safetensors");
        // w.f32 claims 7 elements but spans 24 bytes
        Files.write(p, text.replace("\"shape\":[2,3]", "\"shape\":[7,1]").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        var e = assertThrows(DataFormatException.class, () -> Safetensors.read(p));
        assertEquals(p + ": tensor 'w.f32': shape [7, 1] of float32 needs 28 bytes but data_offsets span 24", e.getMessage());
        Files.write(p, java.util.Arrays.copyOf(ok, ok.length - 3));
        e = assertThrows(DataFormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().startsWith(p + ": tensor 'w.i16': data_offsets [") && e.getMessage().endsWith("(truncated file?)"), e.getMessage());
        Files.write(p, new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0x7f, '{', '}'});
        e = assertThrows(DataFormatException.class, () -> Safetensors.read(p));
        assertTrue(e.getMessage().startsWith(p + ": not a safetensors file: header length"), e.getMessage());
    }

    @Test void idxReadsPlainAndGzipAndWritesBack() throws IOException {
        NdArray img = Fixtures.values(DType.U8, 'u', 2, 4, 5);
        assertEquals(img, Idx.read(Fixtures.file("images-idx3-ubyte")).toNdArray());
        assertEquals(img, Idx.read(Fixtures.file("images-idx3-ubyte.gz")).toNdArray());
        assertEquals(Fixtures.values(DType.F32, 'f', 2, 3), Idx.read(Fixtures.file("f32-idx2.gz")).toNdArray());
        assertEquals(Fixtures.values(DType.I32, 'i', 5), Idx.read(Fixtures.file("i16-idx1")).toNdArray());
        Path plain = tmp.resolve("x-idx3-ubyte");
        Idx.write(plain, RawTensor.of(img));
        assertArrayEquals(Files.readAllBytes(Fixtures.file("images-idx3-ubyte")), Files.readAllBytes(plain));
        for (DType t : List.of(DType.U8, DType.I8, DType.I32, DType.F32, DType.F64)) {
            NdArray a = Fixtures.values(t, t == DType.U8 ? 'u' : t.isFloating() ? 'f' : 'i', 3, 2);
            Path gz = tmp.resolve(t + ".idx.gz");
            Idx.write(gz, RawTensor.of(a));
            assertEquals(a, Idx.read(gz).toNdArray(), t.text());
            assertEquals(a, Idx.read("mem", Files.readAllBytes(gz)).toNdArray());
        }
        assertThrows(DataFormatException.class, () -> Idx.write(tmp.resolve("b.idx"), RawTensor.of(NdArray.zeros(DType.BF16, 2))));
    }

    @Test void idxTruncationIsReportedWithTheDeclaredShape() throws IOException {
        byte[] ok = Files.readAllBytes(Fixtures.file("images-idx3-ubyte"));
        Path p = tmp.resolve("t-idx3-ubyte");
        Files.write(p, java.util.Arrays.copyOf(ok, 30));
        var e = assertThrows(DataFormatException.class, () -> Idx.read(p));
        assertEquals(p + ": header says [2, 4, 5] = 40 elements of uint8 (40 bytes) but the file holds 14 bytes of data (truncated?)", e.getMessage());
        byte[] gz = Files.readAllBytes(Fixtures.file("images-idx3-ubyte.gz"));
        Path g = tmp.resolve("t.gz");
        Files.write(g, java.util.Arrays.copyOf(gz, gz.length - 10));
        e = assertThrows(DataFormatException.class, () -> Idx.read(g));
        assertTrue(e.getMessage().startsWith(g + ": "), e.getMessage());
    }

    @Test void tensorFilesDetectsTheKindByContent() throws IOException {
        Path npz = tmp.resolve("weights.bin");
        Files.copy(Fixtures.file("stored.npz"), npz);
        assertEquals(TensorFiles.Kind.NPZ, TensorFiles.kind(npz));
        assertEquals(List.of("a", "b", "c"), List.copyOf(TensorFiles.readAll(npz).keySet()));
        assertEquals(TensorFiles.Kind.SAFETENSORS, TensorFiles.kind(Fixtures.file("mixed.safetensors")));
        assertEquals(List.of("f4"), List.copyOf(TensorFiles.readAll(Fixtures.file("f4.npy")).keySet()));
        var e = assertThrows(DataFormatException.class, () -> TensorFiles.readAll(tmp));
        assertEquals(tmp + ": is a directory, not a tensor file", e.getMessage());
    }
}
