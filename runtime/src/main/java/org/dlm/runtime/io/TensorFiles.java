package org.dlm.runtime.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens any tensor container by its content: {@code .npz} (zip), {@code .safetensors} or a single
 * {@code .npy} (named after the file, without extension).
 *
 * <pre>{@code
 * Map<String, RawTensor> w = TensorFiles.readAll(Path.of("weights.safetensors"));
 * }</pre>
 */
public final class TensorFiles {
    private TensorFiles() {}

    public enum Kind { NPY, NPZ, SAFETENSORS }

    public static Map<String, RawTensor> readAll(Path file) throws IOException {
        return switch (kind(file)) {
            case NPZ -> Npz.read(file);
            case SAFETENSORS -> Safetensors.read(file).tensors();
            case NPY -> {
                Map<String, RawTensor> m = new LinkedHashMap<>();
                String n = file.getFileName().toString();
                m.put(n.endsWith(".npy") ? n.substring(0, n.length() - 4) : n, Npy.read(file));
                yield m;
            }
        };
    }

    /** Writes by extension: .npz (deflated), .safetensors, or .npy (exactly one tensor). */
    public static void writeAll(Path file, Map<String, RawTensor> tensors, Map<String, String> metadata) throws IOException {
        String n = file.getFileName().toString();
        if (n.endsWith(".npz")) Npz.write(file, tensors, true);
        else if (n.endsWith(".safetensors")) Safetensors.write(file, tensors, metadata);
        else if (n.endsWith(".npy")) {
            if (tensors.size() != 1) throw new DataFormatException(n, "a .npy file holds one tensor, not " + tensors.size() + "; use .npz or .safetensors");
            Npy.write(file, tensors.values().iterator().next());
        } else throw new DataFormatException(file.toString(), "unknown tensor file type (use .npz, .safetensors or .npy)");
    }

    /** Decides by the first bytes, falling back to the extension for empty or odd files. */
    public static Kind kind(Path file) throws IOException {
        if (!Files.exists(file)) throw new DataFormatException(file.toString(), "no such file");
        if (Files.isDirectory(file)) throw new DataFormatException(file.toString(), "is a directory, not a tensor file");
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(8);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K') return Kind.NPZ;
        if (head.length >= 6 && Arrays.equals(Arrays.copyOf(head, 6), Npy.MAGIC)) return Kind.NPY;
        String n = file.getFileName().toString();
        if (n.endsWith(".npz")) return Kind.NPZ;
        if (n.endsWith(".npy")) return Kind.NPY;
        return Kind.SAFETENSORS;
    }
}
