package org.dlm.runtime.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of the MNIST distribution: magic {@code 00 00 <type> <rank>}, big-endian u32
 * dimensions, then big-endian data. Files ending in {@code .gz} (or starting with the gzip magic)
 * are decompressed on the fly. Types: u8, i8, i16 (read as i32), i32, f32, f64.
 *
 * <pre>{@code
 * NdArray images = Idx.read(Path.of("train-images-idx3-ubyte.gz")).toNdArray();   // u8[8000, 28, 28]
 * }</pre>
 */
public final class Idx {
    private Idx() {}

    private static final long MAX_GZIP_RATIO = 1100;

    public static RawTensor read(Path file) throws IOException {
        String where = file.toString();
        if (!Files.exists(file)) throw new DataFormatException(where, "no such file");
        long size = Files.size(file);
        boolean gz = isGzip(file);
        long length = size;
        if (gz) {
            if (size < 18) throw new DataFormatException(where, "gzip file of " + size + " bytes is truncated");
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
                f.seek(size - 4);
                byte[] t = new byte[4];
                f.readFully(t);
                length = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
            }
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = new BufferedInputStream(gz ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16)) {
            return read(where, in, length, gz ? size : -1);
        } catch (DataFormatException e) {
            throw e;
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFormatException(where, "corrupt gzip data (" + Npz.describe(e) + ")");
        }
    }

    /** Reads a whole IDX file held in memory (e.g. a class-path resource), gzip'd or not. */
    public static RawTensor read(String where, byte[] file) throws IOException {
        boolean gz = file.length >= 2 && (file[0] & 0xff) == 0x1f && (file[1] & 0xff) == 0x8b;
        if (!gz) return read(where, new java.io.ByteArrayInputStream(file), file.length, -1);
        if (file.length < 18) throw new DataFormatException(where, "gzip file of " + file.length + " bytes is truncated");
        long length = ByteBuffer.wrap(file, file.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(new java.io.ByteArrayInputStream(file), 1 << 16), 1 << 16)) {
            return read(where, in, length, file.length);
        } catch (DataFormatException e) {
            throw e;
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFormatException(where, "corrupt gzip data (" + Npz.describe(e) + ")");
        }
    }

    private static boolean isGzip(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] m = in.readNBytes(2);
            return m.length == 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b;
        }
    }

    /**
     * Reads from a decompressed stream. {@code length} is its byte count when known (for gzip: the
     * trailer's size modulo 2^32), else -1; {@code compressedSize} bounds what gzip can expand to,
     * or -1 for uncompressed input.
     */
    public static RawTensor read(String where, InputStream in, long length, long compressedSize) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4 || head[0] != 0 || head[1] != 0)
            throw new DataFormatException(where, "not an IDX file (it does not start with 00 00)");
        ElementFormat f = switch (head[2] & 0xff) {
            case 0x08 -> new ElementFormat('u', 1, ByteOrder.BIG_ENDIAN);
            case 0x09 -> new ElementFormat('i', 1, ByteOrder.BIG_ENDIAN);
            case 0x0B -> new ElementFormat('i', 2, ByteOrder.BIG_ENDIAN);
            case 0x0C -> new ElementFormat('i', 4, ByteOrder.BIG_ENDIAN);
            case 0x0D -> new ElementFormat('f', 4, ByteOrder.BIG_ENDIAN);
            case 0x0E -> new ElementFormat('f', 8, ByteOrder.BIG_ENDIAN);
            default -> throw new DataFormatException(where, String.format("not an IDX file: unknown element type 0x%02x", head[2] & 0xff));
        };
        int rank = head[3] & 0xff;
        if (rank == 0 || rank > 16) throw new DataFormatException(where, "IDX header declares " + rank + " dimensions");
        byte[] db = in.readNBytes(4 * rank);
        if (db.length < 4 * rank) throw new DataFormatException(where, "file ends inside the IDX header");
        long[] shape = new long[rank];
        ByteBuffer dims = ByteBuffer.wrap(db).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < rank; i++) shape[i] = dims.getInt() & 0xffffffffL;
        long count, need;
        try {
            count = RawTensor.numel(shape);
            need = Math.multiplyExact(count, (long) f.size());
        } catch (ArithmeticException e) {
            throw new DataFormatException(where, "IDX shape " + Arrays.toString(shape) + " is too large (corrupt header?)");
        }
        long dataStart = 4 + 4L * rank;
        String what = "header says " + Arrays.toString(shape) + " = " + count + " elements of " + f.describe() + " (" + need + " bytes)";
        if (compressedSize >= 0) {
            // gzip's trailer records the size modulo 2^32
            if (((dataStart + need) & 0xffffffffL) != length)
                throw new DataFormatException(where, what + " but the gzip trailer records " + length + " bytes in all (truncated?)");
            if (need > compressedSize * MAX_GZIP_RATIO)
                throw new DataFormatException(where, what + " but the file has only " + compressedSize + " compressed bytes");
        } else if (length >= 0 && length - dataStart != need) {
            throw new DataFormatException(where, what + " but the file holds " + (length - dataStart) + " bytes of data"
                + (length - dataStart < need ? " (truncated?)" : ""));
        }
        if (need > Npy.MAX_BYTES) throw new DataFormatException(where, "IDX data of " + need + " bytes is too large to load (limit 2 GiB)");
        byte[] raw = in.readNBytes((int) need);
        if (raw.length < need) throw new DataFormatException(where, what + " but the data ends after " + raw.length + " bytes (truncated?)");
        if (in.read() != -1) throw new DataFormatException(where, what + " but more data follows");
        return f.decode(raw, shape);
    }

    /** Writes atomically, gzip-compressed when the name ends in {@code .gz}. Types: u8, i8, i32, f32, f64. */
    public static void write(Path file, RawTensor t) throws IOException {
        int type = switch (t.dtype()) {
            case U8 -> 0x08;
            case I8 -> 0x09;
            case I32 -> 0x0C;
            case F32 -> 0x0D;
            case F64 -> 0x0E;
            default -> throw new DataFormatException(file.toString(), "IDX has no " + t.dtype() + " element type (u8, i8, i32, f32, f64)");
        };
        if (t.rank() == 0 || t.rank() > 255) throw new DataFormatException(file.toString(), "IDX needs 1 to 255 dimensions, got " + t.rank());
        for (long d : t.shape())
            if (d > 0xffffffffL) throw new DataFormatException(file.toString(), "dimension " + d + " does not fit IDX's 32 bits");
        boolean gz = file.getFileName().toString().endsWith(".gz");
        AtomicFiles.write(file, os -> {
            OutputStream out = gz ? new GZIPOutputStream(os, 1 << 16) : os;
            ByteBuffer h = ByteBuffer.allocate(4 + 4 * t.rank()).order(ByteOrder.BIG_ENDIAN);
            h.put((byte) 0).put((byte) 0).put((byte) type).put((byte) t.rank());
            for (long d : t.shape()) h.putInt((int) d);
            out.write(h.array());
            ByteBuffer src = t.data();
            int es = t.dtype().byteSize();
            byte[] chunk = new byte[es * 8192];
            while (src.hasRemaining()) {
                int k = Math.min(chunk.length, src.remaining());
                src.get(chunk, 0, k);
                if (es > 1) reverseEach(chunk, k, es); // little-endian in memory, big-endian on disk
                out.write(chunk, 0, k);
            }
            if (gz) out.close(); // ends the deflater; AtomicFiles keeps the file itself open for fsync
        });
    }

    private static void reverseEach(byte[] b, int len, int es) {
        for (int i = 0; i < len; i += es)
            for (int a = i, z = i + es - 1; a < z; a++, z--) { byte x = b[a]; b[a] = b[z]; b[z] = x; }
    }

}
