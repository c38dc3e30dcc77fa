package org.dlm.runtime.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.dlm.ir.interp.NdArray;

/**
 * NumPy's {@code .npz}: a zip of {@code .npy} files, stored ({@code numpy.savez}) or deflated
 * ({@code numpy.savez_compressed}). Tensor names are the entry names without {@code .npy}.
 *
 * <pre>{@code
 * Map<String, RawTensor> w = Npz.read(Path.of("weights.npz"));
 * Npz.write(Path.of("out.npz"), w, true);     // deflated, atomic
 * }</pre>
 */
public final class Npz {
    private Npz() {}

    /** Deflate cannot expand data by more than about 1032:1; a larger claim is a zip bomb or corruption. */
    private static final long MAX_DEFLATE_RATIO = 1100;

    /** All arrays in entry order. */
    public static Map<String, RawTensor> read(Path file) throws IOException { return read(file, Npy.Options.DEFAULT); }

    public static Map<String, RawTensor> read(Path file, Npy.Options opt) throws IOException {
        String where = file.toString();
        if (!Files.exists(file)) throw new DataFormatException(where, "no such file");
        Map<String, RawTensor> out = new LinkedHashMap<>();
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFormatException(where, "not a valid .npz (zip) file (" + describe(e) + ")");
        }
        try (zip) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory()) continue;
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                String tw = DataFormatException.tensorIn(where, name);
                if (out.containsKey(name)) throw new DataFormatException(tw, "appears twice in the archive");
                long size = e.getSize();
                if (size < 0) throw new DataFormatException(tw, "zip entry has no recorded size");
                if (e.getMethod() == ZipEntry.DEFLATED && e.getCompressedSize() >= 0 && size > e.getCompressedSize() * MAX_DEFLATE_RATIO + 4096)
                    throw new DataFormatException(tw, "zip entry claims " + size + " bytes from " + e.getCompressedSize() + " compressed bytes (corrupt file?)");
                try (InputStream in = new BufferedInputStream(zip.getInputStream(e), 1 << 16)) {
                    out.put(name, Npy.read(tw, in, size, opt));
                } catch (DataFormatException ex) {
                    throw ex;
                } catch (IOException | RuntimeException ex) {
                    throw new DataFormatException(tw, "corrupt zip data (" + describe(ex) + ")");
                }
            }
        } catch (DataFormatException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // a damaged central directory surfaces as assorted exceptions from java.util.zip
            throw new DataFormatException(where, "corrupt .npz (zip) file (" + describe(e) + ")");
        }
        return out;
    }

    static String describe(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    public static Map<String, NdArray> readArrays(Path file) throws IOException {
        Map<String, NdArray> m = new LinkedHashMap<>();
        for (var e : read(file).entrySet()) m.put(e.getKey(), e.getValue().toNdArray());
        return m;
    }

    /** Writes atomically; {@code compressed} chooses deflate (savez_compressed) over stored (savez). */
    public static void write(Path file, Map<String, RawTensor> tensors, boolean compressed) throws IOException {
        write(file, tensors, compressed, Npy.Options.DEFAULT);
    }

    public static void write(Path file, Map<String, RawTensor> tensors, boolean compressed, Npy.Options opt) throws IOException {
        String where = file.toString();
        // encode first so a bad tensor fails before the file is touched
        Map<String, byte[]> blobs = new LinkedHashMap<>();
        for (var e : tensors.entrySet())
            blobs.put(e.getKey(), Npy.toBytes(DataFormatException.tensorIn(where, e.getKey()), e.getValue(), opt));
        AtomicFiles.write(file, os -> {
            ZipOutputStream zip = new ZipOutputStream(os);
            for (var e : blobs.entrySet()) {
                ZipEntry z = new ZipEntry(e.getKey() + ".npy");
                z.setTime(315532800000L); // 1980-01-01, the zip epoch: same content, same bytes
                byte[] b = e.getValue();
                if (!compressed) {
                    CRC32 crc = new CRC32();
                    crc.update(b);
                    z.setMethod(ZipEntry.STORED);
                    z.setSize(b.length);
                    z.setCompressedSize(b.length);
                    z.setCrc(crc.getValue());
                } else {
                    z.setMethod(ZipEntry.DEFLATED);
                }
                zip.putNextEntry(z);
                zip.write(b);
                zip.closeEntry();
            }
            zip.close();
        });
    }

    public static void writeArrays(Path file, Map<String, NdArray> arrays, boolean compressed) throws IOException {
        Map<String, RawTensor> m = new LinkedHashMap<>();
        for (var e : arrays.entrySet()) m.put(e.getKey(), RawTensor.of(e.getValue()));
        write(file, m, compressed);
    }
}
