package org.dlm.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.onnx.proto.OnnxProto.StringStringEntryProto;
import org.dlm.onnx.proto.OnnxProto.TensorProto;

/**
 * Decodes an ONNX {@code TensorProto} into an {@link NdArray}: the typed value fields, little-endian
 * {@code raw_data}, and external data files next to the model. Every declared size is checked
 * against the bytes actually present before anything is allocated, and external data may only be
 * read from inside the model's folder.
 */
public final class TensorDecoder {
    private final Path modelDir;

    /** @param modelDir the folder of the model file (external data is resolved against it), or null when there is none */
    public TensorDecoder(Path modelDir) { this.modelDir = modelDir; }

    public NdArray decode(TensorProto t, String where) {
        DType dtype = OnnxDTypes.require(t.getDataType(), where);
        long[] shape = new long[t.getDimsCount()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = t.getDims(i);
            if (shape[i] < 0) throw OnnxException.error("model", where + " has negative dimension " + shape[i]);
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw OnnxException.error("model", where + " declares more elements than fit in 64 bits");
            }
        }
        if (numel > Integer.MAX_VALUE - 8)
            throw OnnxException.unsupported("tensor", where + " has " + numel + " elements; the interpreter holds at most 2^31");
        if (t.hasSegment()) throw OnnxException.unsupported("tensor", where + " is stored in segments");
        int n = (int) numel;
        double[] data;
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            data = fromBytes(dtype, readExternal(t, (long) n * dtype.byteSize(), where), n, where);
        } else if (t.hasRawData()) {
            data = fromBytes(dtype, t.getRawData().asReadOnlyByteBuffer(), n, where);
        } else {
            data = fromFields(t, dtype, n, where);
        }
        return new NdArray(dtype, shape, data);
    }

    private static double[] fromBytes(DType dtype, ByteBuffer raw, int n, String where) {
        long want = (long) n * dtype.byteSize();
        if (raw.remaining() != want)
            throw OnnxException.error("model", where + " declares " + n + " " + dtype + " values (" + want + " bytes) but holds " + raw.remaining() + " bytes");
        ByteBuffer b = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = switch (dtype) {
                case F32 -> b.getFloat();
                case F64 -> b.getDouble();
                case F16 -> Float.float16ToFloat(b.getShort());
                case BF16 -> Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
                case I8 -> b.get();
                case U8 -> b.get() & 0xff;
                case I32 -> b.getInt();
                case I64 -> b.getLong();
                case BOOL -> b.get() != 0 ? 1 : 0;
            };
        }
        return d;
    }

    private static double[] fromFields(TensorProto t, DType dtype, int n, String where) {
        int have = switch (dtype) {
            case F32 -> t.getFloatDataCount();
            case F64 -> t.getDoubleDataCount();
            case I64 -> t.getInt64DataCount();
            default -> t.getInt32DataCount();
        };
        if (have != n) {
            if (have == 0 && n > 0) throw OnnxException.error("model", where + " declares " + n + " values but holds no data");
            throw OnnxException.error("model", where + " declares " + n + " values but holds " + have);
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = switch (dtype) {
                case F32 -> t.getFloatData(i);
                case F64 -> t.getDoubleData(i);
                case I64 -> t.getInt64Data(i);
                case F16 -> Float.float16ToFloat((short) t.getInt32Data(i));
                case BF16 -> Float.intBitsToFloat((t.getInt32Data(i) & 0xffff) << 16);
                case U8 -> t.getInt32Data(i) & 0xff;
                case I8 -> (byte) t.getInt32Data(i);
                case BOOL -> t.getInt32Data(i) != 0 ? 1 : 0;
                case I32 -> t.getInt32Data(i);
            };
        }
        return d;
    }

    private ByteBuffer readExternal(TensorProto t, long expected, String where) {
        String location = null;
        long offset = 0, length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { }
                }
            } catch (NumberFormatException x) {
                throw OnnxException.error("model", where + " has external data " + e.getKey() + " '" + e.getValue() + "' that is not a number");
            }
        }
        if (location == null || location.isEmpty()) throw OnnxException.error("model", where + " is external but names no location");
        if (modelDir == null) throw OnnxException.error("model", where + " refers to external file '" + location + "' but the model was not read from a file");
        Path file = resolveInside(location, where);
        if (length < 0) length = expected;
        if (offset < 0 || length != expected)
            throw OnnxException.error("model", where + " needs " + expected + " bytes of external data, the model declares " + length + " at offset " + offset);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size || size - offset < length)
                throw OnnxException.error("model", where + " needs bytes " + offset + ".." + (offset + length) + " of '" + location + "', which has only " + size + " bytes");
            ByteBuffer buf = ByteBuffer.allocate((int) length);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) throw OnnxException.error("model", "external file '" + location + "' ended early");
            }
            return buf.flip();
        } catch (IOException e) {
            throw OnnxException.error("model", "cannot read external data file '" + location + "' for " + where + ": " + e.getMessage());
        }
    }

    /** Resolves an external-data location, refusing anything outside the model's folder (absolute paths, "..", symlinks out). */
    private Path resolveInside(String location, String where) {
        Path rel;
        try {
            rel = Path.of(location);
        } catch (RuntimeException e) {
            throw OnnxException.error("model", where + " has an invalid external data location '" + location + "'");
        }
        if (rel.isAbsolute() || List.of(location.split("[/\\\\]")).contains(".."))
            throw OnnxException.error("model", where + " refers to external file '" + location + "' outside the model's folder");
        try {
            Path dir = modelDir.toRealPath();
            Path file = dir.resolve(rel).normalize();
            if (!Files.isRegularFile(file)) throw OnnxException.error("model", where + " refers to external file '" + location + "', which does not exist");
            Path real = file.toRealPath();
            if (!real.startsWith(dir) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS))
                throw OnnxException.error("model", where + " refers to external file '" + location + "' outside the model's folder");
            return real;
        } catch (IOException e) {
            throw OnnxException.error("model", "cannot resolve external data file '" + location + "': " + e.getMessage());
        }
    }
}
