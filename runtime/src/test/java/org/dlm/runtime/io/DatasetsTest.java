package org.dlm.runtime.io;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path tmp;

    @Test void csvWithNamedClasses() throws IOException {
        CsvDataset.Table t = CsvDataset.read(Fixtures.file("iris-mini.csv"), "species");
        assertEquals(List.of("setosa", "versicolor", "virginica"), t.classes());
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length"), t.features());
        Dataset d = t.data();
        assertEquals(NdArray.of(DType.I64, new long[] {4}, 0, 1, 2, 0), d.labels());
        assertEquals(NdArray.of(DType.F32, new long[] {4, 3}, 5.1, 3.5, 1.4, 7.0, 3.2, 4.7, 6.3, 3.3, 6.0, 4.9, 3.0, 1.4), d.features());
        assertEquals(NdArray.of(DType.F32, new long[] {1, 3}, 6.3, 3.3, 6.0), d.select(new int[] {2}).features());
    }

    @Test void csvNumericLabelsAndQuoting() throws IOException {
        CsvDataset.Table t = CsvDataset.parse("a.csv", "x,\"y, quoted\",label\r\n1,2,3\r\n\r\n4,\"5\",0\r\n", "label");
        assertEquals(List.of("x", "y, quoted"), t.features());
        Dataset d = t.data();
        assertEquals(NdArray.of(DType.I64, new long[] {2}, 3, 0), d.labels());
        assertEquals(NdArray.of(DType.F32, new long[] {2, 2}, 1, 2, 4, 5), d.features());
        assertTrue(t.classes().isEmpty());
        Dataset r = CsvDataset.parse("r.csv", "x,t\n1,0.5\n2,1.5\n", "t").data();
        assertEquals(DType.F32, r.labels().dtype());
        assertEquals(0.5, r.labels().get(0));
    }

    @Test void csvErrorsNameFileLineAndColumn() {
        var e = assertThrows(DataFormatException.class, () -> CsvDataset.parse("d.csv", "a,b\n1,2\n3,x\n", "a"));
        assertEquals("d.csv:3: column 'b': 'x' is not a number", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> CsvDataset.parse("d.csv", "a,b\n1,2\n3\n", "a"));
        assertEquals("d.csv:3: row has 1 fields but the header has 2", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> CsvDataset.parse("d.csv", "a,b\n1,2\n", "label"));
        assertEquals("d.csv: no column named 'label' (columns: a, b)", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> CsvDataset.parse("d.csv", "a,b\n1,\"2\n", "a"));
        assertEquals("d.csv:2: quoted field is never closed", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> CsvDataset.read(Path.of("nope.csv"), "a"));
        assertEquals("nope.csv: no such file", e.getMessage());
    }

    @Test void mnistFromIdxFiles() throws IOException {
        NdArray img = NdArray.of(DType.U8, new long[] {2, 2, 2}, 0, 255, 51, 1, 2, 3, 4, 5);
        Idx.write(tmp.resolve("train-images-idx3-ubyte.gz"), RawTensor.of(img));
        Idx.write(tmp.resolve("train-labels-idx1-ubyte"), RawTensor.of(NdArray.of(DType.U8, new long[] {2}, 7, 3)));
        Dataset d = MnistData.load(tmp, "train");
        assertEquals(2, d.size());
        assertArrayEquals(new long[] {2, 1, 2, 2}, d.features().shape());
        assertEquals(1.0, d.features().get(1));
        assertEquals((double) (51f / 255f), d.features().get(2));
        assertEquals(NdArray.of(DType.I64, new long[] {2}, 7, 3), d.labels());
        Idx.write(tmp.resolve("bad-images-idx3-ubyte"), RawTensor.of(img));
        Idx.write(tmp.resolve("bad-labels-idx1-ubyte"), RawTensor.of(NdArray.of(DType.U8, new long[] {3}, 7, 3, 1)));
        var e = assertThrows(DataFormatException.class, () -> MnistData.load(tmp, "bad"));
        assertEquals(tmp.resolve("bad-labels-idx1-ubyte") + ": holds 3 labels but " + tmp.resolve("bad-images-idx3-ubyte") + " holds 2 images", e.getMessage());
        e = assertThrows(DataFormatException.class, () -> MnistData.load(tmp, "t10k"));
        assertTrue(e.getMessage().endsWith("t10k-images-idx3-ubyte: no such file (nor t10k-images-idx3-ubyte.gz)"), e.getMessage());
    }

    @Test void atomicWriteKeepsTheOldFileWhenWritingFails() throws IOException {
        Path p = tmp.resolve("keep.npy");
        Npy.write(p, NdArray.of(DType.F32, new long[] {2}, 1, 2));
        byte[] before = Files.readAllBytes(p);
        assertThrows(IOException.class, () -> AtomicFiles.write(p, out -> {
            out.write(new byte[100]);
            throw new IOException("disk full");
        }));
        assertArrayEquals(before, Files.readAllBytes(p));
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(p), s.toList(), "no temp file left behind");
        }
    }
}
