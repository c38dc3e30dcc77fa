package org.dlm.frontend.check;

import java.util.Collection;

/** "Did you mean" suggestions by edit distance. */
final class Names {
    private Names() {}

    /** The candidate closest to {@code name} within a small edit distance, or null. */
    static String closest(String name, Collection<String> candidates) {
        if (name.length() > 64) return null;
        String best = null;
        int bestD = Math.max(1, Math.min(3, name.length() / 3)) + 1;
        for (String c : candidates) {
            if (Math.abs(c.length() - name.length()) >= bestD) continue;
            int d = distance(name.toLowerCase(), c.toLowerCase());
            if (d < bestD) { bestD = d; best = c; }
        }
        return best;
    }

    /** Edit distance counting a swap of neighbours as one edit ("bais" is 1 from "bias"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) d[i][0] = i;
        for (int j = 0; j <= b.length(); j++) d[0][j] = j;
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1))
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
        return d[a.length()][b.length()];
    }
}
