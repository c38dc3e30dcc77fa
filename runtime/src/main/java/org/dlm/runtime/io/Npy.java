package org.dlm.runtime.io;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;

/**
 * NumPy's {@code .npy} format (versions 1.0, 2.0 and 3.0). Reads every numeric dtype in either
 * byte order and in C or Fortran order; writes little-endian C order, version 1.0 (2.0 for huge
 * headers), exactly like {@code numpy.save}. Sizes declared in the header are checked against the
 * file before anything is allocated.
 *
 * <pre>{@code
 * NdArray x = Npy.readArray(Path.of("x.npy"));
 * Npy.write(Path.of("y.npy"), y);                       // atomic: temp file + fsync + rename
 * }</pre>
 *
 * <p>NumPy has no bfloat16: bf16 tensors are written as {@code <u2} bit patterns, and {@code <u2}
 * read back as bf16, only with {@link Options#BF16_AS_U2}; otherwise writing bf16 is an error and
 * {@code <u2} reads as i32.
 */
public final class Npy {
    private Npy() {}

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** NumPy refuses headers beyond this by default too; a larger one is a corrupt file. */
    private static final int MAX_HEADER = 1 << 20;
    private static final int ALIGN = 64;
    /** The most a single array may occupy: Java arrays and buffers are int-indexed. */
    static final long MAX_BYTES = Integer.MAX_VALUE - 8;

    /** Reading/writing choices. */
    public record Options(boolean bf16AsU2) {
        public static final Options DEFAULT = new Options(false);
        /** Write bf16 as {@code <u2} bit patterns; read {@code <u2} as bf16 bit patterns. */
        public static final Options BF16_AS_U2 = new Options(true);
    }

    public static RawTensor read(Path file) throws IOException { return read(file, Options.DEFAULT); }

    public static RawTensor read(Path file, Options opt) throws IOException {
        String where = file.toString();
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(where, "no such file");
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            return read(where, in, size, opt);
        }
    }

    public static NdArray readArray(Path file) throws IOException { return read(file).toNdArray(); }

    /**
     * Reads one array from {@code in}, which holds exactly {@code length} bytes (-1 if unknown:
     * then the data is read up to the declared size and a short read is reported).
     * {@code where} names the source in messages.
     */
    public static RawTensor read(String where, InputStream in, long length, Options opt) throws IOException {
        byte[] pre = in.readNBytes(8);
        if (pre.length < 8 || !Arrays.equals(Arrays.copyOf(pre, 6), MAGIC))
            throw new DataFormatException(where, "not a .npy file (it does not start with \\x93NUMPY)");
        int major = pre[6] & 0xff, minor = pre[7] & 0xff;
        int lenBytes = switch (major) {
            case 1 -> 2;
            case 2, 3 -> 4;
            default -> throw new DataFormatException(where, "unsupported .npy format version " + major + "." + minor + " (1.0, 2.0 and 3.0 are supported)");
        };
        byte[] lb = in.readNBytes(lenBytes);
        if (lb.length < lenBytes) throw new DataFormatException(where, "file ends inside the .npy header");
        long headerLen = lenBytes == 2 ? ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff
                                       : ByteBuffer.wrap(lb).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        long dataStart = 8 + lenBytes + headerLen;
        if (headerLen > MAX_HEADER) throw new DataFormatException(where, "header length " + headerLen + " is implausibly large (corrupt file?)");
        if (length >= 0 && dataStart > length)
            throw new DataFormatException(where, "header of " + headerLen + " bytes runs past the end of the file (" + length + " bytes)");
        byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) throw new DataFormatException(where, "file ends inside the .npy header");
        Header h = parseHeader(where, new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1), opt);

        long count = elementCount(where, h.shape);
        long need = Math.multiplyExact(count, (long) h.format.size());
        if (length >= 0 && length - dataStart != need)
            throw new DataFormatException(where, "header says " + count + " elements of " + h.format.describe() + " (" + need
                + " bytes) but the file holds " + (length - dataStart) + " bytes of data" + (length - dataStart < need ? " (truncated?)" : ""));
        if (need > MAX_BYTES) throw new DataFormatException(where, "array of " + need + " bytes is too large to load (limit 2 GiB)");
        byte[] raw = in.readNBytes((int) need);
        if (raw.length < need)
            throw new DataFormatException(where, "header says " + count + " elements (" + need + " bytes) but the file holds only " + raw.length + " bytes of data (truncated?)");
        RawTensor t = h.format.decode(raw, h.fortran ? reversed(h.shape) : h.shape);
        return h.fortran ? reverseAxes(t) : t;
    }

    private record Header(ElementFormat format, boolean fortran, long[] shape) {}

    private static Header parseHeader(String where, String text, Options opt) throws DataFormatException {
        Object parsed;
        try {
            parsed = PyLiteral.parse(text);
        } catch (PyLiteral.SyntaxError e) {
            throw new DataFormatException(where, "malformed .npy header: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> m)) throw new DataFormatException(where, "malformed .npy header: not a dict");
        for (String key : List.of("descr", "fortran_order", "shape"))
            if (!m.containsKey(key)) throw new DataFormatException(where, "malformed .npy header: no '" + key + "' entry");
        if (!(m.get("fortran_order") instanceof Boolean fortran))
            throw new DataFormatException(where, "malformed .npy header: 'fortran_order' is not True/False");
        if (!(m.get("shape") instanceof List<?> dims))
            throw new DataFormatException(where, "malformed .npy header: 'shape' is not a tuple");
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0)
                throw new DataFormatException(where, "malformed .npy header: shape " + dims + " has a bad dimension " + dims.get(i));
            shape[i] = d;
        }
        Object descr = m.get("descr");
        if (!(descr instanceof String d))
            throw new DataFormatException(where, "structured arrays (record dtypes) are not supported; save each field as its own array");
        return new Header(parseDescr(where, d, opt), fortran, shape);
    }

    static ElementFormat parseDescr(String where, String d, Options opt) throws DataFormatException {
        if (d.length() < 2) throw new DataFormatException(where, "unknown dtype '" + d + "'");
        char bo = d.charAt(0);
        ByteOrder order = switch (bo) {
            case '<', '|', '=' -> ByteOrder.LITTLE_ENDIAN; // '=' is native: every platform we run on is little-endian
            case '>' -> ByteOrder.BIG_ENDIAN;
            default -> throw new DataFormatException(where, "unknown dtype '" + d + "'");
        };
        char kind = d.charAt(1);
        int size;
        try {
            size = Integer.parseInt(d.substring(2));
        } catch (NumberFormatException e) {
            throw new DataFormatException(where, "unsupported dtype '" + d + "'" + unsupportedHint(kind));
        }
        if (kind == 'u' && size == 2 && opt.bf16AsU2()) kind = 'B';
        ElementFormat f = new ElementFormat(kind, size, order);
        if ("fiub".indexOf(kind) < 0 && kind != 'B' || f.target() == null)
            throw new DataFormatException(where, "unsupported dtype '" + d + "'" + unsupportedHint(kind)
                + " (supported: float16/32/64, int8/16/32/64, uint8/16/32, bool)");
        return f;
    }

    private static String unsupportedHint(char kind) {
        return switch (kind) {
            case 'O' -> ": object arrays cannot be loaded; save a numeric array";
            case 'c' -> ": complex numbers are not supported";
            case 'U', 'S' -> ": strings are not tensors";
            case 'V' -> ": raw void data (bfloat16 from ml_dtypes?) — save bf16 as uint16 bit patterns and read with bf16AsU2";
            case 'M', 'm' -> ": dates are not tensors";
            default -> "";
        };
    }

    private static long elementCount(String where, long[] shape) throws DataFormatException {
        try {
            return RawTensor.numel(shape);
        } catch (ArithmeticException e) {
            throw new DataFormatException(where, "shape " + Arrays.toString(shape) + " is too large (corrupt header?)");
        }
    }

    private static long[] reversed(long[] s) {
        long[] r = new long[s.length];
        for (int i = 0; i < s.length; i++) r[i] = s[s.length - 1 - i];
        return r;
    }

    /** Transposes all axes: a Fortran-order array read as C order of the reversed shape becomes C order. */
    private static RawTensor reverseAxes(RawTensor t) {
        long[] in = t.shape();
        int rank = in.length;
        if (rank < 2) return t;
        long[] out = reversed(in);
        int es = t.dtype().byteSize();
        int n = Math.toIntExact(t.numel());
        long[] inStrides = NdArray.strides(in);
        ByteBuffer src = t.data();
        byte[] dst = new byte[n * es];
        long[] idx = new long[rank];
        for (int o = 0; o < n; o++) {
            // output index (i0..ir-1) reads input index (ir-1..i0)
            long off = 0;
            for (int k = 0; k < rank; k++) off += idx[k] * inStrides[rank - 1 - k];
            src.get((int) off * es, dst, o * es, es);
            for (int k = rank - 1; k >= 0; k--) {
                if (++idx[k] < out[k]) break;
                idx[k] = 0;
            }
        }
        return new RawTensor(t.dtype(), out, ByteBuffer.wrap(dst));
    }

    // ------------------------------------------------------------------ writing

    public static void write(Path file, NdArray a) throws IOException { write(file, RawTensor.of(a), Options.DEFAULT); }

    public static void write(Path file, RawTensor t) throws IOException { write(file, t, Options.DEFAULT); }

    /** Writes atomically (temp file + fsync + rename). */
    public static void write(Path file, RawTensor t, Options opt) throws IOException {
        byte[] header = header(file.toString(), t, opt);
        AtomicFiles.write(file, out -> writeBody(header, t, out));
    }

    /** Writes one array to a stream (e.g. a zip entry); {@code where} names it in error messages. */
    public static void write(String where, RawTensor t, Options opt, OutputStream out) throws IOException {
        writeBody(header(where, t, opt), t, out);
    }

    public static byte[] toBytes(String where, RawTensor t, Options opt) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        write(where, t, opt, bo);
        return bo.toByteArray();
    }

    private static void writeBody(byte[] header, RawTensor t, OutputStream out) throws IOException {
        out.write(header);
        ByteBuffer d = t.data();
        byte[] chunk = new byte[Math.min(d.remaining(), 1 << 16)];
        while (d.hasRemaining()) {
            int k = Math.min(chunk.length, d.remaining());
            d.get(chunk, 0, k);
            out.write(chunk, 0, k);
        }
    }

    static String descr(String where, DType t, Options opt) throws DataFormatException {
        return switch (t) {
            case F16 -> "<f2";
            case F32 -> "<f4";
            case F64 -> "<f8";
            case I8 -> "|i1";
            case U8 -> "|u1";
            case I32 -> "<i4";
            case I64 -> "<i8";
            case BOOL -> "|b1";
            case BF16 -> {
                if (opt.bf16AsU2()) yield "<u2";
                throw new DataFormatException(where, "NumPy has no bfloat16 dtype: cast to f32 first, or write bf16 bit patterns as <u2 on explicit request (Npy.Options.BF16_AS_U2)");
            }
        };
    }

    private static byte[] header(String where, RawTensor t, Options opt) throws DataFormatException {
        StringJoiner dims = new StringJoiner(", ", "(", t.rank() == 1 ? ",)" : ")");
        for (long d : t.shape()) dims.add(Long.toString(d));
        String dict = "{'descr': '" + descr(where, t.dtype(), opt) + "', 'fortran_order': False, 'shape': " + dims + ", }";
        int v1 = 10 + dict.length() + 1;
        boolean version2 = v1 + ALIGN > 0xffff;
        int pre = version2 ? 12 : 10;
        int total = pre + dict.length() + 1;
        int pad = (ALIGN - total % ALIGN) % ALIGN;
        String text = dict + " ".repeat(pad) + "\n";
        byte[] hb = text.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + hb.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) (version2 ? 2 : 1)).put((byte) 0);
        if (version2) b.putInt(hb.length); else b.putShort((short) hb.length);
        b.put(hb);
        return b.array();
    }
}
