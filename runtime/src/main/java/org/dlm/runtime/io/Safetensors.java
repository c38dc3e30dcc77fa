package org.dlm.runtime.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * tensor name to {@code dtype}, {@code shape} and {@code data_offsets} (plus an optional
 * {@code __metadata__} object of strings), then the raw little-endian data. The header is fully
 * validated (offsets in bounds, sizes matching shapes, no gaps or overlaps) before any tensor
 * data is read.
 *
 * <pre>{@code
 * Safetensors.Contents c = Safetensors.read(Path.of("ckpt.safetensors"));
 * NdArray w = c.tensors().get("fc1.weight").toNdArray();
 * Safetensors.write(Path.of("ckpt.safetensors"), c.tensors(), Map.of("model", "LeNet"));
 * }</pre>
 */
public final class Safetensors {
    private Safetensors() {}

    /** The reference implementation's limit; anything larger is corrupt. */
    private static final long MAX_HEADER = 100L << 20;

    /** Tensors in header order, and the string metadata. */
    public record Contents(Map<String, RawTensor> tensors, Map<String, String> metadata) {}

    private record Entry(String name, ElementFormat format, long[] shape, long begin, long end) {}

    public static Contents read(Path file) throws IOException {
        String where = file.toString();
        if (!Files.exists(file)) throw new DataFormatException(where, "no such file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(where, ch);
        }
    }

    /** Reads from an open channel (e.g. a copy of a class-path resource); {@code where} names it in messages. */
    public static Contents read(String where, FileChannel ch) throws IOException {
        {
            long size = ch.size();
            if (size < 8) throw new DataFormatException(where, "file of " + size + " bytes is too short to be a safetensors file");
            ByteBuffer lb = readFully(ch, 0, 8, where).order(ByteOrder.LITTLE_ENDIAN);
            long n = lb.getLong(0);
            if (n < 2 || n > size - 8 || n > MAX_HEADER)
                throw new DataFormatException(where, "not a safetensors file: header length " + Long.toUnsignedString(n)
                    + " does not fit the file's " + size + " bytes");
            ByteBuffer hb = readFully(ch, 8, (int) n, where);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
            } catch (CharacterCodingException e) {
                throw new DataFormatException(where, "not a safetensors file: the header is not UTF-8 text");
            }
            Object json;
            try {
                json = JsonText.parse(text);
            } catch (JsonText.SyntaxError e) {
                throw new DataFormatException(where, "malformed safetensors header: " + e.getMessage());
            }
            if (!(json instanceof Map<?, ?> header)) throw new DataFormatException(where, "malformed safetensors header: not a JSON object");
            long dataStart = 8 + n, dataLen = size - dataStart;
            Map<String, String> meta = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (var e : header.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals("__metadata__")) {
                    if (!(e.getValue() instanceof Map<?, ?> m)) throw new DataFormatException(where, "__metadata__ is not a JSON object");
                    for (var me : m.entrySet()) {
                        if (!(me.getValue() instanceof String v)) throw new DataFormatException(where, "__metadata__ value of '" + me.getKey() + "' is not a string");
                        meta.put((String) me.getKey(), v);
                    }
                    continue;
                }
                entries.add(entry(where, name, e.getValue(), dataLen));
            }
            checkLayout(where, entries, dataLen);
            Map<String, RawTensor> tensors = new LinkedHashMap<>();
            for (Entry en : entries) {
                String tw = DataFormatException.tensorIn(where, en.name);
                ByteBuffer raw = readFully(ch, dataStart + en.begin, (int) (en.end - en.begin), tw);
                byte[] bytes = new byte[raw.remaining()];
                raw.get(bytes);
                tensors.put(en.name, en.format.decode(bytes, en.shape));
            }
            return new Contents(tensors, meta);
        }
    }

    private static Entry entry(String where, String name, Object v, long dataLen) throws DataFormatException {
        String tw = DataFormatException.tensorIn(where, name);
        if (!(v instanceof Map<?, ?> m)) throw new DataFormatException(tw, "header entry is not a JSON object");
        if (!(m.get("dtype") instanceof String dt)) throw new DataFormatException(tw, "header entry has no \"dtype\" string");
        ElementFormat f = format(dt);
        if (f == null) throw new DataFormatException(tw, "unsupported dtype \"" + dt + "\" (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U32 U16 U8 BOOL)");
        long[] shape = longs(tw, m.get("shape"), "shape", -1);
        long[] off = longs(tw, m.get("data_offsets"), "data_offsets", 2);
        if (off[0] > off[1] || off[1] > dataLen)
            throw new DataFormatException(tw, "data_offsets [" + off[0] + ", " + off[1] + "] lie outside the " + dataLen + " bytes of data (truncated file?)");
        long need;
        try {
            need = Math.multiplyExact(RawTensor.numel(shape), (long) f.size());
        } catch (ArithmeticException ex) {
            throw new DataFormatException(tw, "shape " + Arrays.toString(shape) + " is too large (corrupt header?)");
        }
        if (off[1] - off[0] != need)
            throw new DataFormatException(tw, "shape " + Arrays.toString(shape) + " of " + f.describe() + " needs " + need
                + " bytes but data_offsets span " + (off[1] - off[0]));
        if (need > Npy.MAX_BYTES) throw new DataFormatException(tw, "tensor of " + need + " bytes is too large to load (limit 2 GiB)");
        return new Entry(name, f, shape, off[0], off[1]);
    }

    private static long[] longs(String tw, Object v, String key, int expectLen) throws DataFormatException {
        if (!(v instanceof List<?> l) || (expectLen >= 0 && l.size() != expectLen))
            throw new DataFormatException(tw, "header entry has no valid \"" + key + "\" list");
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Long x) || x < 0) throw new DataFormatException(tw, "\"" + key + "\" " + l + " holds a bad value " + l.get(i));
            r[i] = x;
        }
        return r;
    }

    /** Tensors must tile the data exactly, as the reference implementation requires. */
    private static void checkLayout(String where, List<Entry> entries, long dataLen) throws DataFormatException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin != at)
                throw new DataFormatException(DataFormatException.tensorIn(where, e.name), "data_offsets start at " + e.begin
                    + (e.begin < at ? " inside the previous tensor's data (ends at " + at + ")" : " leaving a gap after byte " + at));
            at = e.end;
        }
        if (at != dataLen) throw new DataFormatException(where, "tensors cover " + at + " bytes but the file holds " + dataLen + " bytes of data");
    }

    private static ElementFormat format(String dt) {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        return switch (dt) {
            case "F64" -> new ElementFormat('f', 8, le);
            case "F32" -> new ElementFormat('f', 4, le);
            case "F16" -> new ElementFormat('f', 2, le);
            case "BF16" -> new ElementFormat('B', 2, le);
            case "I64" -> new ElementFormat('i', 8, le);
            case "I32" -> new ElementFormat('i', 4, le);
            case "I16" -> new ElementFormat('i', 2, le);
            case "I8" -> new ElementFormat('i', 1, le);
            case "U32" -> new ElementFormat('u', 4, le);
            case "U16" -> new ElementFormat('u', 2, le);
            case "U8" -> new ElementFormat('u', 1, le);
            case "BOOL" -> new ElementFormat('b', 1, le);
            default -> null;
        };
    }

    static String dtypeName(DType t) {
        return switch (t) {
            case F64 -> "F64"; case F32 -> "F32"; case F16 -> "F16"; case BF16 -> "BF16";
            case I64 -> "I64"; case I32 -> "I32"; case I8 -> "I8"; case U8 -> "U8"; case BOOL -> "BOOL";
        };
    }

    private static ByteBuffer readFully(FileChannel ch, long pos, int len, String where) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            int r = ch.read(b, pos + b.position());
            if (r < 0) throw new DataFormatException(where, "file ends early (truncated?)");
        }
        return b.flip();
    }

    // ------------------------------------------------------------------ writing

    /** Writes atomically (temp file + fsync + rename), tensors in map order. */
    public static void write(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) throws IOException {
        StringJoiner h = new StringJoiner(",", "{", "}");
        if (!metadata.isEmpty()) {
            StringJoiner m = new StringJoiner(",", "{", "}");
            for (var e : metadata.entrySet()) m.add(JsonText.quote(e.getKey()) + ":" + JsonText.quote(e.getValue()));
            h.add("\"__metadata__\":" + m);
        }
        long at = 0;
        for (var e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new DataFormatException(file.toString(), "'__metadata__' cannot name a tensor");
            RawTensor t = e.getValue();
            long len = t.data().remaining();
            StringJoiner dims = new StringJoiner(",", "[", "]");
            for (long d : t.shape()) dims.add(Long.toString(d));
            h.add(JsonText.quote(e.getKey()) + ":{\"dtype\":\"" + dtypeName(t.dtype()) + "\",\"shape\":" + dims
                + ",\"data_offsets\":[" + at + "," + (at + len) + "]}");
            at += len;
        }
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (hb.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(hb, padded);
        Arrays.fill(header, hb.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(header);
            byte[] chunk = new byte[1 << 16];
            for (RawTensor t : tensors.values()) {
                ByteBuffer d = t.data();
                while (d.hasRemaining()) {
                    int k = Math.min(chunk.length, d.remaining());
                    d.get(chunk, 0, k);
                    out.write(chunk, 0, k);
                }
            }
        });
    }

    public static void writeArrays(Path file, Map<String, NdArray> arrays, Map<String, String> metadata) throws IOException {
        Map<String, RawTensor> m = new LinkedHashMap<>();
        for (var e : arrays.entrySet()) m.put(e.getKey(), RawTensor.of(e.getValue()));
        write(file, m, metadata);
    }
}
