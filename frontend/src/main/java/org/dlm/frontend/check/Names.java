package org.dlm.frontend.check;

import java.util.Collection;

/** "Did you mean" suggestions by edit distance. */
final class Names {
    private Names() {}

    /** The candidate closest to {@code name} within a small edit distance, or null. */
    static String closest(String name, Collection<String> candidates) {
        String best = null;
        int bestD = Math.max(1, Math.min(3, name.length() / 3)) + 1;
        for (String c : candidates) {
            if (Math.abs(c.length() - name.length()) >= bestD) continue;
            int d = distance(name.toLowerCase(), c.toLowerCase());
            if (d < bestD) { bestD = d; best = c; }
        }
        return best;
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }
}
