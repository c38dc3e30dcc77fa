package org.dlm.runtime.io;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.dlm.ir.DType;
import org.dlm.ir.interp.NdArray;
import org.dlm.runtime.data.Dataset;

/**
 * CSV data sets: a header row naming the columns, then one sample per row. Every column but the
 * label column must be numeric and becomes a feature (f32[N, C]). The label column, chosen by
 * name, becomes i64 class indices when it holds integers or names (names are numbered in sorted
 * order and kept as {@link Table#classes()}), or f32 targets when it holds other numbers.
 * Quoted fields ({@code "a,b"}, {@code ""} for a quote) are understood.
 *
 * <pre>{@code
 * CsvDataset.Table iris = CsvDataset.read(Path.of("iris.csv"), "species");
 * Dataset data = iris.data();            // f32[150, 4] features, i64[150] labels
 * }</pre>
 */
public final class CsvDataset {
    private CsvDataset() {}

    /**
     * A parsed CSV data set.
     *
     * @param data     features f32[N, C] and labels i64[N] (or f32[N] targets)
     * @param features the feature column names, in order
     * @param classes  class names by label index; empty when the label column held numbers
     */
    public record Table(Dataset data, List<String> features, List<String> classes) {
        public Table {
            features = List.copyOf(features);
            classes = List.copyOf(classes);
        }
    }

    private static final long MAX_BYTES = 1L << 30;

    public static Table read(Path file, String labelColumn) throws IOException {
        String where = file.toString();
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new DataFormatException(where, "no such file");
        }
        if (size > MAX_BYTES) throw new DataFormatException(where, "CSV file of " + size + " bytes is too large to load into memory");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new DataFormatException(where, "not a text (UTF-8) file");
        }
        return parse(where, text, labelColumn);
    }

    /** Parses CSV text; {@code where} names it in messages. */
    public static Table parse(String where, String text, String labelColumn) throws DataFormatException {
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> rows = new ArrayList<>();
        List<Integer> lineOf = new ArrayList<>();
        split(where, text, rows, lineOf);
        if (rows.isEmpty()) throw new DataFormatException(where, "empty CSV file (a header row is needed)");
        List<String> header = rows.get(0);
        int label = header.indexOf(labelColumn);
        if (label < 0) throw new DataFormatException(where, "no column named '" + labelColumn + "' (columns: " + String.join(", ", header) + ")");
        int n = rows.size() - 1, c = header.size() - 1;
        if (n == 0) throw new DataFormatException(where, "no data rows after the header");
        double[] x = new double[Math.multiplyExact(n, c)];
        String[] labelText = new String[n];
        for (int r = 0; r < n; r++) {
            List<String> row = rows.get(r + 1);
            int line = lineOf.get(r + 1);
            if (row.size() != header.size())
                throw new DataFormatException(where + ":" + line, "row has " + row.size() + " fields but the header has " + header.size());
            for (int k = 0, j = 0; k < row.size(); k++) {
                String v = row.get(k).strip();
                if (k == label) { labelText[r] = v; continue; }
                if (v.isEmpty()) throw new DataFormatException(where + ":" + line, "column '" + header.get(k) + "' is empty");
                x[r * c + j++] = number(v, where + ":" + line, header.get(k));
            }
        }
        List<String> names = new ArrayList<>(header);
        names.remove(label);
        List<String> classes = classNames(labelText);
        Dataset d = new Dataset(where, new NdArray(DType.F32, new long[] {n, c}, x), labels(where, labelText, lineOf, labelColumn), classes);
        return new Table(d, names, classes);
    }

    private static double number(String v, String where, String column) throws DataFormatException {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new DataFormatException(where, "column '" + column + "': '" + v + "' is not a number");
        }
    }

    private static List<String> classNames(String[] labels) {
        for (String l : labels) if (!isNumber(l)) return new ArrayList<>(new TreeSet<>(List.of(labels)));
        return List.of();
    }

    private static NdArray labels(String where, String[] text, List<Integer> lineOf, String column) throws DataFormatException {
        int n = text.length;
        double[] y = new double[n];
        List<String> classes = classNames(text);
        if (!classes.isEmpty()) {
            for (int i = 0; i < n; i++) {
                if (text[i].isEmpty()) throw new DataFormatException(where + ":" + lineOf.get(i + 1), "label column '" + column + "' is empty");
                y[i] = classes.indexOf(text[i]);
            }
            return new NdArray(DType.I64, new long[] {n}, y);
        }
        boolean integral = true;
        for (int i = 0; i < n; i++) {
            y[i] = Double.parseDouble(text[i]);
            if (y[i] != Math.rint(y[i]) || Math.abs(y[i]) > 1L << 53) integral = false;
        }
        return new NdArray(integral ? DType.I64 : DType.F32, new long[] {n}, y);
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) return false;
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** RFC 4180 records; blank lines are skipped. Records the 1-based line each starts on. */
    private static void split(String where, String t, List<List<String>> rows, List<Integer> lineOf) throws DataFormatException {
        int i = 0, line = 1, len = t.length();
        while (i < len) {
            int start = line;
            List<String> fields = new ArrayList<>();
            StringBuilder f = new StringBuilder();
            boolean quoted = false, any = false;
            while (i < len) {
                char ch = t.charAt(i);
                if (quoted) {
                    if (ch == '"') {
                        if (i + 1 < len && t.charAt(i + 1) == '"') { f.append('"'); i += 2; continue; }
                        quoted = false; i++; continue;
                    }
                    if (ch == '\n') line++;
                    f.append(ch); i++;
                    continue;
                }
                if (ch == '"' && f.toString().isBlank()) { quoted = true; f.setLength(0); any = true; i++; continue; }
                if (ch == ',') { fields.add(f.toString()); f.setLength(0); any = true; i++; continue; }
                if (ch == '\r' || ch == '\n') {
                    if (ch == '\r' && i + 1 < len && t.charAt(i + 1) == '\n') i++;
                    i++; line++;
                    break;
                }
                f.append(ch); i++; any = true;
            }
            if (quoted) throw new DataFormatException(where + ":" + start, "quoted field is never closed");
            if (!any && f.isEmpty()) continue;
            fields.add(f.toString());
            rows.add(fields);
            lineOf.add(start);
        }
    }
}
