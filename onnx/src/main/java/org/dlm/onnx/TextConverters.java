package org.dlm.onnx;

import java.util.ArrayList;
import java.util.List;
import org.dlm.ir.DType;
import org.dlm.ir.Dim;
import org.dlm.ir.Node;
import org.dlm.ir.interp.NdArray;

/**
 * ONNX TfIdfVectorizer on integer tokens, composed from catalogue ops: for each n-gram length and
 * skip distance, shifted slices of the token sequence are compared with every pool n-gram at once
 * ({@code eq} broadcast to [..., positions, pool]), the matches and-ed over the n-gram's items and
 * summed over positions; a one-hot matmul places the counts at their output indexes.
 */
final class TextConverters {
    private TextConverters() {}

    static void register(ConverterTable t) {
        t.one("TfIdfVectorizer", TextConverters::tfIdf);
    }

    /**
     * Counts follow ONNX Runtime: an n-gram of items {@code d} apart (d = 1 .. max_skip_count + 1)
     * counts at every start where it fits; unigrams count once (d = 1). Modes: TF = the count,
     * IDF = the weight where the count is nonzero, TFIDF = count × weight.
     */
    private static Node tfIdf(OpContext cx) {
        Node x = cx.in(0);
        if (!x.dtype().isInteger()) throw cx.unsupported("on " + x.dtype() + " tokens (integer tokens are supported; strings are not a DLM dtype)");
        int rank = x.shape().rank();
        if (rank != 1 && rank != 2) throw cx.error("input must be [T] or [B, T], got " + x.shape());
        Dim tDim = x.shape().dim(rank - 1);
        if (!tDim.isConst()) throw cx.unsupported("over a symbolic sequence length " + tDim);
        long t = tDim.value();
        long minN = cx.attrInt("min_gram_length", 0), maxN = cx.attrInt("max_gram_length", 0), maxSkip = cx.attrInt("max_skip_count", 0);
        String mode = cx.attrString("mode", "");
        long[] counts = cx.attrInts("ngram_counts"), indexes = cx.attrInts("ngram_indexes"), pool = cx.attrInts("pool_int64s");
        if (cx.hasAttr("pool_strings")) throw cx.unsupported("with pool_strings (strings are not a DLM dtype)");
        if (counts == null || indexes == null || pool == null) throw cx.error("needs ngram_counts, ngram_indexes and pool_int64s");
        if (!List.of("TF", "IDF", "TFIDF").contains(mode)) throw cx.error("mode must be TF, IDF or TFIDF, got '" + mode + "'");
        if (minN < 1 || maxN < minN || maxSkip < 0) throw cx.error("needs 1 <= min_gram_length <= max_gram_length and max_skip_count >= 0");
        double[] weights = cx.attrs().floats("weights");
        // pool n-grams in pool order: group g holds (g+1)-grams from pool offset counts[g]
        List<long[]> grams = new ArrayList<>();
        for (int g = 0; g < counts.length; g++) {
            long from = counts[g], to = g + 1 < counts.length ? counts[g + 1] : pool.length, n = g + 1;
            if (from < 0 || to < from || to > pool.length || (to - from) % n != 0) throw cx.error("ngram_counts " + java.util.Arrays.toString(counts) + " do not fit the pool of " + pool.length);
            for (long p = from; p < to; p += n) grams.add(java.util.Arrays.copyOfRange(pool, (int) p, (int) (p + n)));
        }
        if (grams.size() != indexes.length) throw cx.error("ngram_indexes has " + indexes.length + " entries for " + grams.size() + " pool n-grams");
        if (weights != null && weights.length != grams.size()) throw cx.error("weights has " + weights.length + " entries for " + grams.size() + " pool n-grams");
        long outSize = 0;
        for (long i : indexes) {
            if (i < 0) throw cx.error("ngram_indexes must not be negative");
            outSize = Math.max(outSize, i + 1);
        }
        long batchLike = rank == 2 ? 1 : 0;
        List<Node> perGram = new ArrayList<>();  // [..., P_n] counts of each group, in pool order
        int first = 0;
        for (int g = 0; g < counts.length; g++) {
            int n = g + 1, size = 0;
            while (first + size < grams.size() && grams.get(first + size).length == n) size++;
            List<long[]> group = grams.subList(first, first + size);
            first += size;
            if (size == 0) continue;
            if (n < minN || n > maxN) {
                perGram.add(zeros(cx, x, rank, size));
                continue;
            }
            Node total = null;
            for (long d = 1; d <= (n == 1 ? 1 : maxSkip + 1); d++) {
                long positions = t - d * (n - 1);
                if (positions <= 0) continue;
                Node match = null;
                for (int k = 0; k < n; k++) {
                    long start = k * d;
                    Node items = cx.op("slice", List.of(x), "starts", List.of(start), "ends", List.of(start + positions), "axes", List.of(batchLike));
                    double[] tok = new double[size];
                    for (int p = 0; p < size; p++) tok[p] = group.get(p)[k];
                    Node tokens = cx.constant(new NdArray(x.dtype(), new long[] {size}, tok));
                    Node eq = cx.op("eq", cx.op("unsqueeze", List.of(items), "axes", List.of((long) rank)), tokens);   // [..., positions, P]
                    match = match == null ? eq : cx.op("and", match, eq);
                }
                Node c = cx.op("reduce_sum", List.of(cx.op("cast", List.of(match), "dtype", DType.F32)), "axes", List.of(batchLike));
                total = total == null ? c : cx.op("add", total, c);
            }
            perGram.add(total == null ? zeros(cx, x, rank, size) : total);
        }
        if (perGram.isEmpty()) throw cx.error("has an empty pool");
        Node tf = perGram.size() == 1 ? perGram.getFirst() : cx.op("concat", perGram, "axis", -1L);
        Node w = weights == null ? null : cx.constant(new NdArray(DType.F32, new long[] {weights.length}, weights));
        Node scored = switch (mode) {
            case "TF" -> tf;
            case "IDF" -> {
                Node present = cx.op("cast", List.of(cx.op("gt", tf, cx.scalar(DType.F32, 0))), "dtype", DType.F32);
                yield w == null ? present : cx.op("mul", present, w);
            }
            default -> w == null ? tf : cx.op("mul", tf, w);
        };
        double[] place = new double[(int) (grams.size() * outSize)];
        for (int p = 0; p < grams.size(); p++) place[(int) (p * outSize + indexes[p])] = 1;
        return cx.op("matmul", scored, cx.constant(new NdArray(DType.F32, new long[] {grams.size(), outSize}, place)));
    }

    private static Node zeros(OpContext cx, Node x, int rank, int size) {
        long[] shape = rank == 2 ? new long[] {x.shape().dim(0).isConst() ? x.shape().dim(0).value() : -1, size} : new long[] {size};
        if (shape[0] < 0) throw cx.unsupported("on a symbolic batch size with n-grams outside [min_gram_length, max_gram_length]");
        return cx.constant(new NdArray(DType.F32, shape, new double[(int) (shape[0] * (rank == 2 ? size : 1))]));
    }
}
